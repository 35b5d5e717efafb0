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

# The httpd.conf lines both benchmarks share, for port $1: the server
# (under $HTTPD_DIR, LogLevel warn: a refused signature is logged at info,
# so a 401 run does not measure the error log) and the module against the
# fakes, with the admin Location. Callers add their MPM and DBD settings.
bench_httpd_conf() {
  local port=$1 secrets=$SAP_TEST_SECRETS slack="http://127.0.0.1:$SAP_FAKE_SLACK_PORT"
  cat <<CONF
ServerRoot "$HTTPD_DIR"
Include "$SAP_TOP/t/conf/modules.conf"
LoadModule slack_approvals_module "$SAP_MODULE_SO"
Listen 127.0.0.1:$port
ServerName 127.0.0.1:$port
PidFile "$HTTPD_DIR/logs/httpd.pid"
ErrorLog "$HTTPD_DIR/logs/error_log"
DefaultRuntimeDir "$HTTPD_DIR/logs"
DocumentRoot "$HTTPD_DIR/htdocs"
TypesConfig /etc/mime.types
User nobody
Group nogroup
LogLevel warn
DBDriver pgsql
DBDParams "$SAP_TEST_DBPARAMS"
SlackApprovals On
SlackApprovalsPublicURL http://127.0.0.1:$port/slack-approvals
SlackApprovalsWorkers $WORKERS
SlackApprovalsClientID 1111.2222
SlackApprovalsClientSecretFile $secrets/client_secret
SlackApprovalsSigningSecretFile $secrets/signing_secret
SlackApprovalsTokenKeyFile $secrets/token_key
SlackApprovalsSlackAPI $slack/api
SlackApprovalsSlackAuthorizeURL $slack/oauth/v2/authorize
SlackApprovalsEngineURL http://127.0.0.1:$SAP_FAKE_ENGINE_PORT
SlackApprovalsEngineTokenFile $secrets/engine_token
SlackApprovalsEngineSecretFile $secrets/engine_secret
SlackApprovalsMailRelay smtp://127.0.0.1:$SAP_FAKE_SMTP_PORT
SlackApprovalsMailFrom approvals@example.test
SlackApprovalsAllowInsecureHTTP On
<Location /slack-approvals>
    SetHandler slack-approvals
</Location>
<Location /slack-approvals/admin>
    AuthType Basic
    AuthName "Slack approvals admin"
    AuthBasicProvider file
    AuthUserFile "$SAP_HTPASSWD"
    Require valid-user
</Location>
CONF
}

# Waits for $1 (a healthz URL) to answer 200.
bench_wait_healthy() {
  for _ in $(seq 1 50); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  tail -n 30 "$HTTPD_DIR/logs/error_log" >&2
  die "healthz never answered 200"
}

# wrk from Debian's archive, installed when it is missing (root only).
bench_install_wrk() {
  command -v wrk >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || die "wrk is missing (run as root, or: sudo apt-get install wrk)"
  log "installing wrk"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
}

# PostgreSQL's superuser on the run's cluster ($pg_port).
pg_admin() { psql "host=127.0.0.1 port=$pg_port user=postgres dbname=approvals" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# pg_stat_statements, loaded for the whole run (the cluster is restarted with
# it; needs $PG_BIN and $SAP_RUN_DIR). SAP_BENCH_PG_STATEMENTS=0 leaves it out;
# $pg_statements says which.
bench_pg_statements_load() {
  pg_statements=${SAP_BENCH_PG_STATEMENTS:-1}
  [ "$pg_statements" = 1 ] || return 0
  log "loading pg_stat_statements (SAP_BENCH_PG_STATEMENTS=0 leaves it out)"
  pg_admin -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
  local pg_ctl_cmd=("$PG_BIN/pg_ctl" -D "$SAP_RUN_DIR/pg/data" -l "$SAP_RUN_DIR/pg/postgres.log" -m fast -w -t 30 restart)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "${pg_ctl_cmd[@]}" >/dev/null; else "${pg_ctl_cmd[@]}" >/dev/null; fi
  pg_admin -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
}
pg_statements_reset() { [ "$pg_statements" != 1 ] || pg_admin -c "SELECT pg_stat_statements_reset()" >/dev/null; }
# The 20 statements that took the most time, into file $1.
pg_statements_dump() {
  [ "$pg_statements" = 1 ] || return 0
  pg_admin -F ' | ' -P footer=off -c "SELECT calls, round(total_exec_time) AS total_ms,
      round(mean_exec_time::numeric, 3) AS mean_ms, rows, regexp_replace(left(query, 160), '\s+', ' ', 'g') AS query
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 20" > "$1"
}

# Workspace $TEAM_ID installed through the module's own OAuth flow ($MOD, the
# fake Slack at $SLACK), the callback's answer in $OUT; dies unless it is
# stored as one active connection (psql_db).
bench_install_team() {
  local location state redirect_uri code status connections
  ADMIN_AUTH="admin:${SAP_ADMIN_PASSWORD:-admin-password}"
  location=$(curl -sS -o /dev/null -w '%{redirect_url}' -u "$ADMIN_AUTH" "$MOD/admin/slack/install")
  [ -n "$location" ] || die "GET /admin/slack/install did not redirect"
  read -r state redirect_uri <<< "$(node -e 'const u = new URL(process.argv[1]);
    console.log(u.searchParams.get("state") || "-", u.searchParams.get("redirect_uri") || "-")' "$location")"
  [ "$state" != - ] || die "the install redirect has no state: $location"
  [ "$redirect_uri" != - ] || redirect_uri="$MOD/slack/oauth/callback"
  code=$(curl -fsS -X POST -H 'Content-Type: application/json' \
    -d "{\"team_id\":\"$TEAM_ID\",\"team_name\":\"Bench Co\",\"redirect_uri\":\"$redirect_uri\"}" \
    "$SLACK/_control/oauth/codes" | node -e 'let s = ""; process.stdin.on("data", (c) => s += c).on("end", () => console.log(JSON.parse(s).code))')
  status=$(curl -sS -o "$OUT/install-callback.answer" -w '%{http_code}' -G \
    --data-urlencode "code=$code" --data-urlencode "state=$state" "$MOD/slack/oauth/callback")
  case "$status" in 2??|3??) ;; *) die "OAuth callback answered $status: $(head -c 300 "$OUT/install-callback.answer")" ;; esac
  connections=$(psql_db -c "SELECT count(*) FROM sap_connections WHERE team_id = '$TEAM_ID' AND status = 'active'")
  [ "$connections" = 1 ] || die "the workspace was not stored as an active connection (callback answered $status)"
}

# Prints "rps p50 p99 requests non2xx socket_errors" from one wrk output.
wrk_fields() {
  awk '
    /^Requests\/sec:/           { rps = $2 }
    /^ +50%/                    { p50 = $2 }
    /^ +99%/                    { p99 = $2 }
    / requests in /             { reqs = $1 }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/            { gsub(",", ""); err = $4 + $6 + $8 + $10 }
    END { printf "%s %s %s %s %d %d\n", rps, p50, p99, reqs, non2xx, err }' "$1"
}

# What the page says of the machine: cpu_model, mem_total (MiB),
# httpd_version, pg_version, wrk_version (psql_db must reach the database).
bench_machine_facts() {
  cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
  mem_total=$(free -m | awk '/^Mem:/ {print $2}')
  httpd_version=$(/usr/sbin/apache2 -v | sed -n 's/^Server version: //p')
  pg_version=$(psql_db -c "SHOW server_version")
  wrk_version=$(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}' || true)
}
