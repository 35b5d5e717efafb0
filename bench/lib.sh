# Shared by the benchmark scripts (bench/run.sh, bench/dispatch.sh); sourced
# from the checkout's top directory after `set -euo pipefail`. The caller sets
# OUT (its raw outputs) before bench_runtime_init, and may set BENCH_LOAD_PID
# to a load generator the trap must stop too.

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# Runtime files under /tmp (reachable by httpd's children, User nobody), the
# test environment's functions, and a trap that stops everything started.
#   bench_runtime_init NAME
bench_runtime_init() {
  SAP_RUN_DIR=$(mktemp -d "/tmp/sap-$1.XXXXXX")
  chmod 0755 "$SAP_RUN_DIR"
  export SAP_TOP SAP_RUN_DIR
  export SAP_MODULE_SO="$SAP_TOP/.libs/mod_slack_approvals.so"
  # shellcheck source=scripts/test-env.sh
  . scripts/test-env.sh
  HTTPD_DIR="$SAP_RUN_DIR/httpd"
  httpd_pid=
  BENCH_LOAD_PID=
  trap bench_finish EXIT
  trap 'exit 130' INT TERM
}

bench_stop_pid() {
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  return 0
}

bench_finish() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  bench_stop_pid "$BENCH_LOAD_PID"
  bench_stop_pid "$httpd_pid"
  cp "$HTTPD_DIR/logs/error_log" "$OUT/error_log" 2>/dev/null
  [ -f "$SAP_RUN_DIR/pg_dir" ] && cp "$(cat "$SAP_RUN_DIR/pg_dir")/postgres.log" "$OUT/postgres.log" 2>/dev/null
  sap_env_stop
  rm -rf "$SAP_RUN_DIR"
  if [ $rc -ne 0 ]; then
    log "failed (exit $rc); raw outputs and the servers' logs are in $OUT"
  fi
  exit $rc
}

# Starts httpd with $HTTPD_DIR/httpd.conf; sets httpd_pid.
bench_httpd_start() {
  log "starting httpd on 127.0.0.1:$1"
  /usr/sbin/apache2 -f "$HTTPD_DIR/httpd.conf" -k start \
    || { tail -n 30 "$HTTPD_DIR/logs/error_log" >&2 || true; die "httpd did not start"; }
  for _ in $(seq 1 50); do
    [ -s "$HTTPD_DIR/logs/httpd.pid" ] && break
    sleep 0.1
  done
  httpd_pid=$(cat "$HTTPD_DIR/logs/httpd.pid" 2>/dev/null || true)
  [ -n "$httpd_pid" ] && kill -0 "$httpd_pid" 2>/dev/null || die "httpd wrote no pid file"
}

# Replaces this script's generated section of docs/benchmarks.md (between
# its BEGIN and END comment lines) with the file $2, or appends it.
#   bench_write_section SCRIPT_NAME SECTION_FILE      e.g. bench/run.sh
bench_write_section() {
  local name=$1 section=$2 doc="$SAP_TOP/docs/benchmarks.md"
  if [ ! -f "$doc" ]; then
    cat > "$doc" <<'MD'
# Benchmarks

Each section below is written by a script and overwritten when that script runs again; the comment
lines mark where a section starts and ends. Do not edit inside a generated section: change the script.

MD
  fi
  SAP_BENCH_SECTION=$section SAP_BENCH_NAME=$name perl -0777 -i -pe '
    BEGIN { local $/; open my $fh, "<", $ENV{SAP_BENCH_SECTION} or die "$!\n"; $new = <$fh>;
            $name = quotemeta $ENV{SAP_BENCH_NAME}; }
    s/\n*\z/\n\n$new/ unless s/<!-- BEGIN $name:.*?<!-- END $name -->\n/$new/s;
  ' "$doc"
  grep -q "BEGIN $name" "$doc" || die "could not write $doc"
  cp "$section" "$OUT/section.md"
  log "wrote $doc"
}
