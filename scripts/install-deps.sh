#!/bin/bash
# Installs what a fresh Debian 12 machine lacks for building, testing and
# running mod_slack_approvals. Idempotent: installs only what is missing.
#   scripts/install-deps.sh          build + test + run dependencies
set -euo pipefail

packages=(
  build-essential pkg-config apache2 apache2-dev apache2-utils
  libaprutil1-dbd-pgsql libcurl4-openssl-dev libjansson-dev libssl-dev
  libapache2-mod-perl2 postgresql postgresql-client libcmocka-dev
  openssl curl
)
command -v node >/dev/null 2>&1 || packages+=(nodejs)

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
