#!/bin/bash
# Installs what a fresh Debian 12 machine lacks for building, testing and
# running mod_slack_approvals. Idempotent: installs only what is missing.
#   scripts/install-deps.sh          build + test + run dependencies
# Browser tests: Debian's chromium (apt) and the npm package playwright-core in
# t/browser/node_modules, at the version t/browser/package-lock.json pins.
set -euo pipefail

packages=(
  build-essential pkg-config apache2 apache2-dev apache2-utils
  libaprutil1-dbd-pgsql libcurl4-openssl-dev libjansson-dev libssl-dev
  libapache2-mod-perl2 postgresql postgresql-client libcmocka-dev
  openssl curl
  chromium
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
# npm comes with some nodejs builds; Debian's nodejs has it as a package of its own.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Debian starts services on install; the project runs its own instances.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.sap
  chmod +x /usr/sbin/policy-rc.d.sap
  [ -e /usr/sbin/policy-rc.d ] || cp /usr/sbin/policy-rc.d.sap /usr/sbin/policy-rc.d
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if cmp -s /usr/sbin/policy-rc.d /usr/sbin/policy-rc.d.sap; then rm -f /usr/sbin/policy-rc.d; fi
  rm -f /usr/sbin/policy-rc.d.sap
fi

# ---- browser tests: playwright-core (drives /usr/bin/chromium; it downloads no
# browser of its own). npm ci installs exactly what package-lock.json pins;
# skipped when that version is already there.
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/t/browser"
locked=$(node -e 'const l = require(process.argv[1]); console.log(l.packages["node_modules/playwright-core"].version)' \
         "$browser_dir/package-lock.json")
installed=$(node -e 'try { console.log(require(process.argv[1]).version) } catch (e) { console.log("none") }' \
            "$browser_dir/node_modules/playwright-core/package.json")
if [ "$installed" != "$locked" ]; then
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 20 ]; then
    echo "install-deps: the browser tests need Node.js 20 or later (playwright-core $locked); this is $(node --version)" >&2
    exit 1
  fi
  echo "install-deps: installing playwright-core $locked into t/browser/node_modules (npm ci)"
  (cd "$browser_dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
fi
