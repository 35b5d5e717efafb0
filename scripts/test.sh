#!/bin/bash
# make test: installs what is missing, builds, starts a throwaway PostgreSQL
# cluster, the fakes and httpd with the module (Apache::Test), runs the
# cmocka unit tests and the Apache::Test suite under ONE prove run, and stops
# everything it started. Exits non-zero on any failure.
set -euo pipefail

SAP_TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$SAP_TOP"

# One run at a time on a machine: Apache::Test keeps its files in t/.
exec 9>"${TMPDIR:-/tmp}/mod_slack_approvals-test.lock"
flock 9

bash scripts/install-deps.sh
make -s module unit > "${TMPDIR:-/tmp}/sap-build.log" 2>&1 || { cat "${TMPDIR:-/tmp}/sap-build.log" >&2; exit 1; }

# --- SAP_ASAN=1 (make test-asan): ASan/UBSan module, httpd through scripts/asan-httpd ---
sap_httpd_args=()
if [ "${SAP_ASAN:-0}" = 1 ]; then
  make -s module-asan >> "${TMPDIR:-/tmp}/sap-build.log" 2>&1 || { cat "${TMPDIR:-/tmp}/sap-build.log" >&2; exit 1; }
  sap_httpd_args=(-httpd "$SAP_TOP/scripts/asan-httpd")
  export SAP_HTTPD="$SAP_TOP/scripts/asan-httpd"   # t/lib/SAP/Httpd.pm, t/config.t
fi
# --- end SAP_ASAN ---

# Runtime files under /tmp, reachable by httpd's children (User nobody).
SAP_RUN_DIR=$(mktemp -d /tmp/sap-test.XXXXXX)
chmod 0755 "$SAP_RUN_DIR"
export SAP_TOP SAP_RUN_DIR
# --- browser tests: the settings page (ui/) where httpd's children can read it
# (t/conf/extra.conf.in aliases it), and where t/browser.t leaves screenshots
# and traces of failed cases (kept with the rest when the run fails).
cp -R ui "$SAP_RUN_DIR/ui"
chmod -R u=rwX,go=rX "$SAP_RUN_DIR/ui"
export SAP_UI_DIR="$SAP_RUN_DIR/ui"
export SAP_BROWSER_ARTIFACTS="$SAP_RUN_DIR/browser"
# --- end browser tests
# shellcheck source=scripts/test-env.sh
. scripts/test-env.sh

httpd_started=0
finish() {
  local rc=$?
  if [ "$httpd_started" = 1 ]; then
    t/TEST "${sap_httpd_args[@]}" -stop-httpd > "$SAP_RUN_DIR/stop-httpd.log" 2>&1 || true
  fi
  # --- SAP_ASAN=1: after httpd has stopped (reports written at exit count too).
  # ASan writes $SAP_RUN_DIR/asan/report.PID; UBSan writes to httpd's error_log.
  if [ "${SAP_ASAN:-0}" = 1 ]; then
    local ubsan_logs
    ubsan_logs=$(grep -l 'runtime error:' t/logs/error_log $(find "$SAP_RUN_DIR" -name error_log) 2>/dev/null || true)
    if [ -n "$(ls -A "$SAP_RUN_DIR/asan" 2>/dev/null)" ] || [ -n "$ubsan_logs" ]; then
      for f in "$SAP_RUN_DIR"/asan/*; do [ -f "$f" ] && { echo "==== $f"; cat "$f"; }; done >&2
      for f in $ubsan_logs; do echo "==== $f (UBSan)"; grep -A 12 'runtime error:' "$f"; done >&2
      echo "test.sh: ASan/UBSan reports (above; kept in $SAP_RUN_DIR/asan and the error_logs)" >&2
      [ $rc -ne 0 ] || rc=1
    else
      echo "test.sh: no ASan/UBSan reports"
    fi
  fi
  # --- end SAP_ASAN ---
  sap_env_stop
  if [ $rc -ne 0 ]; then
    echo "test.sh: failed (exit $rc); logs kept in $SAP_RUN_DIR and t/logs" >&2
  else
    rm -rf "$SAP_RUN_DIR"
  fi
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

pg_port=$(sap_free_port)
sap_env_start "$SAP_RUN_DIR/pg" "$pg_port"
export SAP_MODULE_SO="$SAP_TOP/.libs/mod_slack_approvals.so"
if [ "${SAP_ASAN:-0}" = 1 ]; then export SAP_MODULE_SO="$SAP_TOP/build/asan/mod_slack_approvals.so"; fi  # SAP_ASAN

http_port=$(sap_free_port)
export SAP_BADDB_PORT; SAP_BADDB_PORT=$(sap_free_port)   # t/conf/extra.conf.in
mkdir -p "$SAP_RUN_DIR/htdocs"
t/TEST -clean >/dev/null 2>&1 || true
t/TEST "${sap_httpd_args[@]}" -httpd_conf "$SAP_TOP/t/conf/modules.conf" -port "$http_port" \
       -documentroot "$SAP_RUN_DIR/htdocs" -start-httpd > "$SAP_RUN_DIR/start-httpd.log" 2>&1 \
  || { cat "$SAP_RUN_DIR/start-httpd.log" >&2; tail -n 30 t/logs/error_log >&2 || true; exit 1; }
httpd_started=1
# Apache::Test can "succeed" without starting httpd (the root trap of DESIGN
# section 12): a suite that tests nothing must fail.
[ -s t/logs/httpd.pid ] && kill -0 "$(cat t/logs/httpd.pid)" 2>/dev/null \
  || { echo "test.sh: Apache::Test did not start httpd" >&2; cat "$SAP_RUN_DIR/start-httpd.log" >&2; exit 1; }

# One prove run; its summary is the last thing printed.
export CMOCKA_MESSAGE_OUTPUT=TAP
unit_tests=$(ls build/unit/test_* build/unit-asan/test_* 2>/dev/null || true)
# SAP_TESTS="t/workers.t" make test runs a subset (for development).
# shellcheck disable=SC2086
prove ${SAP_PROVE_FLAGS:-} -I t/lib ${SAP_TESTS:-$unit_tests t/*.t}
