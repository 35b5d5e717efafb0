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

# Runtime files under /tmp, reachable by httpd's children (User nobody).
SAP_RUN_DIR=$(mktemp -d /tmp/sap-test.XXXXXX)
chmod 0755 "$SAP_RUN_DIR"
export SAP_TOP SAP_RUN_DIR
# shellcheck source=scripts/test-env.sh
. scripts/test-env.sh

httpd_started=0
finish() {
  local rc=$?
  if [ "$httpd_started" = 1 ]; then
    t/TEST -stop-httpd > "$SAP_RUN_DIR/stop-httpd.log" 2>&1 || true
  fi
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

http_port=$(sap_free_port)
mkdir -p "$SAP_RUN_DIR/htdocs"
t/TEST -clean >/dev/null 2>&1 || true
t/TEST -httpd_conf "$SAP_TOP/t/conf/modules.conf" -port "$http_port" \
       -documentroot "$SAP_RUN_DIR/htdocs" -start-httpd > "$SAP_RUN_DIR/start-httpd.log" 2>&1 \
  || { cat "$SAP_RUN_DIR/start-httpd.log" >&2; tail -n 30 t/logs/error_log >&2 || true; exit 1; }
httpd_started=1

# One prove run; its summary is the last thing printed.
export CMOCKA_MESSAGE_OUTPUT=TAP
unit_tests=$(ls build/unit/test_* build/unit-asan/test_* 2>/dev/null || true)
# SAP_TESTS="t/workers.t" make test runs a subset (for development).
# shellcheck disable=SC2086
prove -I t/lib ${SAP_TESTS:-$unit_tests t/*.t}
