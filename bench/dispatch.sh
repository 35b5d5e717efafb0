#!/bin/bash
# make bench (second part): engine events and dispatch, as bench/README.md
# describes, in one run:
#   (a) events accepted per second by POST /api/v1/events, against raw
#       single-row PostgreSQL INSERTs of a comparable row (pgbench), same cluster;
#   (b) the time to deliver 200 approval_requested events x 5 recipients through
#       the fake Slack with 50 ms of latency on every call, against the ideal
#       that latency and the concurrency limits set;
#   (c) httpd's memory before, during and after 100 000 events.
# Installs what is missing, builds the module, starts its own PostgreSQL, the
# fakes and one httpd with the module (everything on 127.0.0.1, on free
# ports), measures, stops everything it started (by PID), and rewrites its own
# section of docs/benchmarks.md. Raw outputs of the last run: build/bench/dispatch/.
#
# Every load is loopback only and bounded (by time or by count, with a time
# limit) and stops by itself. A run takes about 2 minutes once the packages
# are installed.
set -euo pipefail

SAP_TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$SAP_TOP"

# One benchmark at a time on a machine (the lock bench/run.sh takes too).
exec 9>"${TMPDIR:-/tmp}/mod_slack_approvals-bench.lock"
flock 9

# --- settings (the numbers docs/benchmarks.md describes) ------------------
WORKERS=8                    # SlackApprovalsWorkers
THREADS_PER_CHILD=80         # event MPM, one child: 64 connections fit, with room to spare
DBD_MAX=88                   # mod_dbd per process: every request thread and every worker
EVENT_CONNECTIONS="16 64"    # (a) concurrency of the event load
EVENT_DURATION=10            # (a) seconds per run
WARMUP_DURATION=3            # (a) seconds, not measured
PGBENCH_CLIENTS="16 64"      # (a) raw inserts
PGBENCH_DURATION=10
SOAK_EVENTS=100000           # (c)
SOAK_STEP=20000              # (c) a memory sample after each step
SOAK_CONNECTIONS=32
DISPATCH_EVENTS=200          # (b)
DISPATCH_RECIPIENTS=5        # (b) per event, all distinct: 1000 Slack users
DISPATCH_CONNECTIONS=16
SLACK_LATENCY_MS=50          # (b) on every Web API call
SLACK_CALLS_PER_RECIPIENT=3  # users.lookupByEmail + conversations.open + chat.postMessage
LOOKUPS_IN_FLIGHT=10         # the module's limit per process (DESIGN section 7)
DRAIN_TIMEOUT=600            # seconds: waiting for the job queue gives up after this
DISPATCH_TIMEOUT=300         # seconds: (b) gives up after this
TEAM_ID=T0BENCH

# shellcheck source=bench/lib.sh
. bench/lib.sh

# --- dependencies and build -------------------------------------------------
bash scripts/install-deps.sh
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
PGBENCH="$PG_BIN/pgbench"
[ -x "$PGBENCH" ] || die "pgbench not found in $PG_BIN (it comes with the postgresql package)"
command -v node >/dev/null 2>&1 || die "node is missing (scripts/install-deps.sh installs it)"
make -s module > "${TMPDIR:-/tmp}/sap-bench-dispatch-build.log" 2>&1 \
  || { cat "${TMPDIR:-/tmp}/sap-bench-dispatch-build.log" >&2; exit 1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
OUT="$SAP_TOP/build/bench/dispatch"     # raw outputs of the last run (git-ignored)
rm -rf "$OUT"; mkdir -p "$OUT"

bench_runtime_init bench-dispatch

# --- PostgreSQL (migrated by sap_env_start) and the fakes --------------------
pg_port=$(sap_free_port)
log "starting PostgreSQL on 127.0.0.1:$pg_port and the fakes"
sap_env_start "$SAP_RUN_DIR/pg" "$pg_port"
psql_db() { psql "$SAP_TEST_DBPARAMS" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
SLACK="http://127.0.0.1:$SAP_FAKE_SLACK_PORT"
# Where PostgreSQL spends its time in (a): pg_stat_statements, loaded for
# the whole run (the raw inserts pay for it as the events do), the top
# statements of each run in pg-statements-*.txt and in the page.
# SAP_BENCH_PG_STATEMENTS=0 leaves it out.
bench_pg_statements_load
postmaster_pid=$(head -n 1 "$SAP_RUN_DIR/pg/data/postmaster.pid")

# --- httpd with the module ---------------------------------------------------
# As t/lib/SAP/Httpd.pm writes it, but: one child process of the event MPM
# (so memory and CPU are one process's), SlackApprovalsWorkers 8, a mod_dbd
# pool as large as the threads that can use it, LogLevel warn, and the admin
# Location with Basic auth (for the install and the settings).
http_port=$(sap_free_port)
mkdir -p "$HTTPD_DIR/logs"
chmod -R 0755 "$HTTPD_DIR"
mkdir -p "$HTTPD_DIR/htdocs"
{
  bench_httpd_conf "$http_port"
  cat <<CONF
# One child process with $THREADS_PER_CHILD threads: the 64 connections of the
# largest run fit, and there is nothing to add up over processes.
StartServers 1
ServerLimit 1
ThreadLimit $THREADS_PER_CHILD
ThreadsPerChild $THREADS_PER_CHILD
MaxRequestWorkers $THREADS_PER_CHILD
MinSpareThreads 1
DBDMin 1
DBDKeep $DBD_MAX
DBDMax $DBD_MAX
DBDExptime 300
CONF
} > "$HTTPD_DIR/httpd.conf"
cp "$HTTPD_DIR/httpd.conf" "$OUT/httpd.conf"
bench_httpd_start "$http_port"
BASE="http://127.0.0.1:$http_port"
MOD="$BASE/slack-approvals"
bench_wait_healthy "$MOD/healthz"

# --- measuring helpers ---------------------------------------------------------
child_pids() { ps --ppid "$httpd_pid" -o pid= 2>/dev/null | tr -d ' ' | sort -n | tr '\n' ' ' | sed 's/ $//'; }
child_at_start=$(child_pids)
[ -n "$child_at_start" ] || die "httpd has no child process"
# The child must be the same process all along: another one means it died.
same_child() {
  local now; now=$(child_pids)
  [ "$now" = "$child_at_start" ] \
    || die "httpd's child process changed ($child_at_start -> ${now:-none}): it died? $(grep -m 3 -i 'exit signal\|AH00052' "$HTTPD_DIR/logs/error_log" || true)"
}
# VmRSS in MiB: "children_total parent" (kB from /proc/PID/status).
rss_mib() {
  local pid kb total=0
  for pid in $(child_pids); do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$(( total + kb ))
  done
  kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$httpd_pid/status")
  awk -v c="$total" -v p="$kb" 'BEGIN { printf "%.1f %.1f\n", c / 1024, p / 1024 }'
}
# CPU ticks (utime+stime, and cutime+cstime for reaped children) of processes.
proc_ticks() {
  local pid total=0 t
  for pid in "$@"; do
    t=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}') || t=0
    total=$(( total + ${t:-0} ))
  done
  echo "$total"
}
httpd_ticks() { proc_ticks "$httpd_pid" $(child_pids); }
# PostgreSQL: the postmaster (its reaped backends included) and its live children.
pg_ticks() { proc_ticks "$postmaster_pid" $(ps --ppid "$postmaster_pid" -o pid= 2>/dev/null); }
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
# "busy_jiffies total_jiffies steal_jiffies" of the whole machine, from /proc/stat.
machine_jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t, $9 }' /proc/stat; }
now_ms() { date +%s%3N; }
# cpu_snapshot: "epoch_ms httpd_ticks pg_ticks busy total steal"
cpu_snapshot() { echo "$(now_ms) $(httpd_ticks) $(pg_ticks) $(machine_jiffies)"; }
# cpu_report BEFORE AFTER: "httpd% pg% machine_busy% steal%" (httpd and PostgreSQL in %
# of one core; the machine in % of all its cores)
cpu_report() {
  awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" 'BEGIN { split(a, x, " "); split(b, y, " ")
    s = (y[1] - x[1]) / 1000; if (s <= 0) s = 1
    tot = y[5] - x[5]; if (tot <= 0) tot = 1
    printf "%.0f %.0f %.0f %.0f\n", 100 * (y[2] - x[2]) / hz / s, 100 * (y[3] - x[3]) / hz / s,
      100 * (y[4] - x[4]) / tot, 100 * (y[6] - x[6]) / tot }'
}
# jfields FILE KEY… : the values of (dotted) keys of a JSON file, one line, space-separated.
jfields() {
  node -e '
    const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(process.argv.slice(2).map((path) => {
      let v = o;
      // a key with a dot in it is written with "\\." (methods.chat\\.update.calls)
      for (const k of path.split(/(?<!\\)\./)) v = v == null ? undefined : v[k.replace(/\\\./g, ".")];
      return v === undefined || v === null ? "-" : typeof v === "object" ? JSON.stringify(v) : String(v);
    }).join(" "));' "$@"
}
# Waits until no job is queued or running; prints the seconds it took.
wait_drain() {
  local what=$1 t0 busy
  t0=$(now_ms)
  while :; do
    # EXISTS on the partial indexes of queued and running jobs: cheap, where a
    # count would read the whole backlog several times a second
    busy=$(psql_db -c "SELECT EXISTS (SELECT 1 FROM sap_jobs WHERE state = 'queued')
                              OR EXISTS (SELECT 1 FROM sap_jobs WHERE state = 'running')")
    [ "$busy" = f ] && break
    [ $(( $(now_ms) - t0 )) -lt $(( DRAIN_TIMEOUT * 1000 )) ] \
      || die "$what: $(psql_db -c "SELECT count(*) FROM sap_jobs WHERE state IN ('queued', 'running')") jobs still queued or running after ${DRAIN_TIMEOUT}s"
    sleep 0.2
  done
  awk -v a="$t0" -v b="$(now_ms)" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }'
}
# Runs the event generator (in the background, so the trap can stop it).
SECRET_FILE="$SAP_TEST_SECRETS/engine_secret"
event_load() {   # event_load OUTFILE ARGS…
  local out=$1; shift
  node bench/event-load.js --url "$MOD/api/v1/events" --secret-file "$SECRET_FILE" --out "$out" "$@" \
    > /dev/null 2> "$out.stderr" &
  BENCH_LOAD_PID=$!
  wait "$BENCH_LOAD_PID" || { BENCH_LOAD_PID=; die "event-load failed: $(cat "$out.stderr")"; }
  BENCH_LOAD_PID=
}
# The events of one id prefix as stored, with their plans and jobs:
# "events outcome_ok dispatched jobs" (outcome_ok: outcome LIKE OUTCOME;
# jobs: every job, of any kind, whose payload names one of these events).
stored_of() {   # stored_of PREFIX OUTCOME_LIKE
  psql_db -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE outcome LIKE '$2'),
      count(*) FILTER (WHERE dispatched_at IS NOT NULL),
      (SELECT count(*) FROM sap_jobs WHERE payload->>'event_id' LIKE '$1-%')
    FROM sap_engine_events WHERE event_id LIKE '$1-%'"
}
# Checks one event run: every answer 202, no error, as many stored as
# accepted, each planned on arrival (outcome set, dispatched_at set) with the
# jobs the mode asks for. MODE "native": outcome "native: …" and no job at all;
# "dm K": outcome "slack (dm): K recipients" and K jobs per event (checked in
# detail by check_dm_jobs). Prints "events jobs".
check_events() {   # check_events NAME PREFIX JSON MODE [K]
  local name=$1 prefix=$2 json=$3 mode=$4 k=${5:-0} like want_jobs
  local sent answered accepted errors statuses events outcome_ok dispatched jobs
  read -r sent answered accepted errors statuses <<< "$(jfields "$json" sent answered accepted_202 errors statuses)"
  [ "$errors" = 0 ] || die "$name: $errors requests failed without an answer: $(jfields "$json" error_samples)"
  [ "$answered" = "$accepted" ] || die "$name: answers other than 202: $statuses, e.g. $(jfields "$json" bad_samples)"
  case "$mode" in
    native) like='native:%' ;;
    dm)     like="slack (dm): $k recipients" ;;
    *)      die "check_events: unknown mode $mode" ;;
  esac
  read -r events outcome_ok dispatched jobs <<< "$(stored_of "$prefix" "$like")"
  [ "$events" = "$accepted" ] || die "$name: $events events stored for $accepted answers 202 (sent $sent)"
  [ "$outcome_ok" = "$events" ] \
    || die "$name: $outcome_ok of $events events have an outcome like '$like': $(psql_db -c "SELECT outcome, count(*)
         FROM sap_engine_events WHERE event_id LIKE '$prefix-%' GROUP BY 1 ORDER BY 2 DESC LIMIT 3" | tr '\n' ';')"
  [ "$dispatched" = "$events" ] || die "$name: $dispatched of $events events have dispatched_at set"
  want_jobs=$(( events * k ))
  [ "$jobs" = "$want_jobs" ] || die "$name: $jobs jobs for $events events, expected $want_jobs ($mode)"
  echo "$events $jobs"
}
# The jobs of a DM run, in detail: exactly one notify.recipient job via slack
# per event and recipient index 0 … K-1. Prints "jobs done failed".
check_dm_jobs() {   # check_dm_jobs NAME PREFIX EVENTS K
  local name=$1 prefix=$2 events=$3 k=$4 indexes jobs right pairs n_done n_failed
  indexes=$(seq -s, -f "'%g'" 0 $(( k - 1 )))
  read -r jobs right pairs n_done n_failed <<< "$(psql_db -F ' ' -c "SELECT count(*),
      count(*) FILTER (WHERE kind = 'notify.recipient' AND payload->>'via' = 'slack'
                         AND payload->>'recipient' IN ($indexes)),
      count(DISTINCT (payload->>'event_id', payload->>'recipient')),
      count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed')
    FROM sap_jobs WHERE payload->>'event_id' LIKE '$prefix-%'")"
  [ "$jobs" = $(( events * k )) ] || die "$name: $jobs jobs for $events events x $k recipients"
  [ "$right" = "$jobs" ] || die "$name: $(( jobs - right )) of $jobs jobs are not notify.recipient via slack for recipient 0…$(( k - 1 ))"
  [ "$pairs" = "$jobs" ] || die "$name: $jobs jobs for only $pairs distinct (event, recipient) pairs"
  echo "$jobs $n_done $n_failed"
}

idle_before=$(machine_jiffies)
sleep 2
busy_before=$(awk -v a="$idle_before" -v b="$(machine_jiffies)" 'BEGIN { split(a, x, " "); split(b, y, " ")
  printf "%.0f%%\n", (y[2] > x[2]) ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 0 }')
read -r mem_start_children mem_start_parent <<< "$(rss_mib)"
log "httpd child $child_at_start: RSS $mem_start_children MiB, parent $mem_start_parent MiB"

mechanism=$(psql_db -c "SELECT mechanism FROM sap_settings")
[ "$mechanism" = native ] || die "the notification mechanism is '$mechanism', not native, before any workspace"

# === (a) events accepted per second, against raw inserts =========================
log "(a) warm-up: ${WARMUP_DURATION}s x 64 connections (not measured)"
event_load "$OUT/events-warmup.json" --duration "$WARMUP_DURATION" --connections 64 --prefix warm
check_events "warm-up" warm "$OUT/events-warmup.json" native >/dev/null
jiffies_start=$(machine_jiffies)
for c in $EVENT_CONNECTIONS; do
  log "(a) events: $c connections x ${EVENT_DURATION}s"
  pg_statements_reset
  before=$(cpu_snapshot)
  event_load "$OUT/events-c$c.json" --duration "$EVENT_DURATION" --connections "$c" --prefix "a$c"
  after=$(cpu_snapshot)
  cpu_report "$before" "$after" > "$OUT/cpu-events-c$c.txt"
  # with mechanism native an event is one statement on arrival and no job:
  # nothing is left for the workers, so the statements are complete here
  pg_statements_dump "$OUT/pg-statements-events-c$c.txt"
  check_events "events c$c" "a$c" "$OUT/events-c$c.json" native > "$OUT/stored-events-c$c.txt"
  same_child
done

log "(a) raw inserts with pgbench"
node bench/event-load.js sample > "$OUT/sample-event.json"
sample_bytes=$(( $(wc -c < "$OUT/sample-event.json") - 1 ))
psql_db -c "CREATE TABLE sap_bench_raw_events (event_id text PRIMARY KEY, payload jsonb NOT NULL,
             received_at timestamptz NOT NULL DEFAULT now())" >/dev/null
cat > "$SAP_RUN_DIR/raw-insert.sql" <<'SQL'
\set n :n + 1
INSERT INTO sap_bench_raw_events (event_id, payload) VALUES (:run || '-' || :client_id || '-' || :n, :payload::jsonb);
SQL
cp "$SAP_RUN_DIR/raw-insert.sql" "$OUT/raw-insert.sql"
for c in $PGBENCH_CLIENTS; do
  log "(a) pgbench: $c clients x ${PGBENCH_DURATION}s"
  pg_statements_reset
  before=$(cpu_snapshot)
  ( "$PGBENCH" -n -M prepared -c "$c" -j 2 -T "$PGBENCH_DURATION" -D n=0 -D "run=raw$c" \
      -D "payload=$(head -n 1 "$OUT/sample-event.json")" -f "$SAP_RUN_DIR/raw-insert.sql" \
      "$SAP_TEST_DBPARAMS" > "$OUT/pgbench-c$c.txt" 2>&1
    times > "$OUT/pgbench-c$c.times" ) || die "pgbench -c $c failed: $(tail -n 5 "$OUT/pgbench-c$c.txt")"
  after=$(cpu_snapshot)
  cpu_report "$before" "$after" > "$OUT/cpu-pgbench-c$c.txt"
  pg_statements_dump "$OUT/pg-statements-pgbench-c$c.txt"
  grep -q '^tps = ' "$OUT/pgbench-c$c.txt" || die "no result in $OUT/pgbench-c$c.txt"
done
# pgbench's own CPU: "times" prints the children's user and system time on its second line.
pgbench_cpu_pct() {
  sed -n 2p "$1" | awk -v d="$PGBENCH_DURATION" '{ t = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
    printf "%.0f\n", 100 * t / d }'
}
raw_rows=$(psql_db -c "SELECT count(*) FROM sap_bench_raw_events")

# === (c) memory over 100 000 events ================================================
log "(c) memory: $SOAK_EVENTS events in steps of $SOAK_STEP, $SOAK_CONNECTIONS connections"
read -r mem_before_children mem_before_parent <<< "$(rss_mib)"
echo "0 $mem_before_children $mem_before_parent -" > "$OUT/memory.txt"
done_events=0
step=0
soak_t0=$(now_ms)
while [ "$done_events" -lt "$SOAK_EVENTS" ]; do
  step=$(( step + 1 ))
  n=$SOAK_STEP
  [ $(( done_events + n )) -le "$SOAK_EVENTS" ] || n=$(( SOAK_EVENTS - done_events ))
  event_load "$OUT/soak-$step.json" --count "$n" --connections "$SOAK_CONNECTIONS" --prefix "soak$step" --max-seconds 300
  checked=$(check_events "soak step $step" "soak$step" "$OUT/soak-$step.json" native)
  read -r stored _ <<< "$checked"
  [ "$stored" = "$n" ] || die "soak step $step: $stored of $n events stored"
  done_events=$(( done_events + n ))
  same_child
  read -r rss_c rss_p <<< "$(rss_mib)"
  read -r rate gen_cpu <<< "$(jfields "$OUT/soak-$step.json" accepted_per_s cpu_pct_of_one_core)"
  echo "$done_events $rss_c $rss_p $rate" >> "$OUT/memory.txt"
  log "    $done_events events: child RSS $rss_c MiB, parent $rss_p MiB ($rate events/s, no job created)"
done
soak_s=$(awk -v a="$soak_t0" -v b="$(now_ms)" 'BEGIN { printf "%.0f", (b - a) / 1000 }')
read -r mem_after_children mem_after_parent <<< "$(rss_mib)"

# === (b) dispatch through the fake Slack with latency =================================
log "(b) installing workspace $TEAM_ID through the module's OAuth flow"
bench_install_team
node bench/dispatch-helper.js users --slack "$SLACK" --team "$TEAM_ID" \
  --count $(( DISPATCH_EVENTS * DISPATCH_RECIPIENTS )) > "$OUT/slack-users.json"
status=$(curl -sS -o "$OUT/settings.answer" -w '%{http_code}' -u "$ADMIN_AUTH" -X PUT \
  -H 'Content-Type: application/json' -d '{"mechanism":"slack","delivery_mode":"dm"}' "$MOD/admin/api/settings")
case "$status" in 2??) ;; *) die "PUT /admin/api/settings answered $status: $(head -c 300 "$OUT/settings.answer")" ;; esac
settings=$(psql_db -c "SELECT mechanism || ' ' || delivery_mode FROM sap_settings")
[ "$settings" = "slack dm" ] || die "settings are '$settings', not 'slack dm'"
curl -fsS -X DELETE "$SLACK/_control/calls" >/dev/null
curl -fsS -X POST -H 'Content-Type: application/json' \
  -d "{\"method\":\"*\",\"latency_ms\":$SLACK_LATENCY_MS,\"times\":-1}" "$SLACK/_control/inject" >/dev/null
total_rows=$(( DISPATCH_EVENTS * DISPATCH_RECIPIENTS ))

log "(b) dispatch: $DISPATCH_EVENTS events x $DISPATCH_RECIPIENTS recipients, ${SLACK_LATENCY_MS} ms on every Slack call"
before=$(cpu_snapshot)
event_load "$OUT/dispatch-events.json" --count "$DISPATCH_EVENTS" --recipients "$DISPATCH_RECIPIENTS" \
  --connections "$DISPATCH_CONNECTIONS" --prefix disp
# P, the plan cost: each 202 is sent once the event and its jobs are stored,
# so the last 202 is when the last of the jobs existed (the generator's clock).
read -r first_ms accepted_ms <<< "$(jfields "$OUT/dispatch-events.json" first_send_epoch_ms last_answer_epoch_ms)"
plan_s=$(awk -v a="$first_ms" -v b="$accepted_ms" 'BEGIN { printf "%.3f", (b - a) / 1000 }')
check_events "dispatch intake" disp "$OUT/dispatch-events.json" dm "$DISPATCH_RECIPIENTS" >/dev/null
check_dm_jobs "dispatch intake" disp "$DISPATCH_EVENTS" "$DISPATCH_RECIPIENTS" >/dev/null
rows=0
while :; do
  rows=$(psql_db -c "SELECT count(*) FROM sap_notification_history WHERE event_id LIKE 'disp-%'")
  [ "$rows" -ge "$total_rows" ] && break
  [ $(( $(now_ms) - first_ms )) -lt $(( DISPATCH_TIMEOUT * 1000 )) ] \
    || die "dispatch: only $rows of $total_rows history rows after ${DISPATCH_TIMEOUT}s"
  sleep 0.25
done
after=$(cpu_snapshot)
cpu_report "$before" "$after" > "$OUT/cpu-dispatch.txt"
wait_drain "dispatch" >/dev/null
same_child
checked=$(check_dm_jobs "dispatch" disp "$DISPATCH_EVENTS" "$DISPATCH_RECIPIENTS")   # dies (set -e) on a bad job
read -r dm_jobs dm_jobs_done dm_jobs_failed <<< "$checked"
psql_db -F ' ' -c "SELECT status, kind, count(*), count(DISTINCT recipient), coalesce(min(error), '-')
  FROM sap_notification_history WHERE event_id LIKE 'disp-%' GROUP BY 1, 2 ORDER BY 1, 2" > "$OUT/dispatch-history.txt"
IFS='|' read -r sent_rows failed_rows other_rows recipients_distinct last_row_ms <<< "$(psql_db -c "
  SELECT count(*) FILTER (WHERE status = 'SENT' AND kind = 'dm'), count(*) FILTER (WHERE status = 'FAILED'),
         count(*) FILTER (WHERE NOT (status = 'SENT' AND kind = 'dm')), count(DISTINCT recipient),
         (extract(epoch FROM max(created_at)) * 1000)::bigint
  FROM sap_notification_history WHERE event_id LIKE 'disp-%'")"
node bench/dispatch-helper.js calls --slack "$SLACK" --out "$OUT/slack-calls.json" > /dev/null
read -r n_lookup n_open n_post ok_lookup ok_open ok_post in_flight n_calls <<< "$(jfields "$OUT/slack-calls.json" \
  methods.users\\.lookupByEmail.calls methods.conversations\\.open.calls methods.chat\\.postMessage.calls \
  methods.users\\.lookupByEmail.ok methods.conversations\\.open.ok methods.chat\\.postMessage.ok max_in_flight counted)"
read -r mem_end_children mem_end_parent <<< "$(rss_mib)"

# --- sanity: the numbers are only worth publishing if every answer was right -----
[ "$rows" = "$total_rows" ] || die "dispatch: $rows history rows, expected $total_rows: $(cat "$OUT/dispatch-history.txt")"
[ "$failed_rows" = 0 ] && [ "$other_rows" = 0 ] && [ "$sent_rows" = "$total_rows" ] \
  || die "dispatch: $sent_rows of $total_rows rows are SENT dm ($failed_rows FAILED): $(cat "$OUT/dispatch-history.txt")"
[ "$recipients_distinct" = "$total_rows" ] || die "dispatch: $recipients_distinct distinct recipients, expected $total_rows"
[ "$dm_jobs_done" = "$total_rows" ] && [ "$dm_jobs_failed" = 0 ] \
  || die "dispatch: $dm_jobs_done of $dm_jobs notify.recipient jobs done, $dm_jobs_failed failed"
# exactly one call of each method per recipient, all answered ok, and nothing else
for m in "users.lookupByEmail $n_lookup $ok_lookup" "conversations.open $n_open $ok_open" \
         "chat.postMessage $n_post $ok_post"; do
  read -r method n ok <<< "$m"
  [ "$n" = "$total_rows" ] && [ "$ok" = "$total_rows" ] \
    || die "dispatch: $n calls of $method ($ok ok), expected $total_rows: $(head -c 600 "$OUT/slack-calls.json")"
done
[ "$n_calls" = $(( total_rows * SLACK_CALLS_PER_RECIPIENT )) ] \
  || die "dispatch: the fake Slack received $n_calls calls, expected $(( total_rows * SLACK_CALLS_PER_RECIPIENT )): $(head -c 600 "$OUT/slack-calls.json")"

# --- the numbers ------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == "ge") ? (v >= t) : (v <= t); print ok ? "met" : "**not met**" }'; }

# CPU of everything else on the machine, in % of one core: all cores' busy
# time minus what the processes measured used (others_pct BUSY% MEASURED%…)
others_pct() {
  local busy=$1; shift
  awk -v b="$busy" -v n="$NCPU" -v m="$*" 'BEGIN { k = split(m, x, " "); o = b * n
    for (i = 1; i <= k; i++) o -= x[i]; printf "%.0f\n", (o > 0) ? o : 0 }'
}
events_rows=""
raw_rows_md=""
ratio_rows=""
ratio_summary=""
ratios_ok=1
for c in $EVENT_CONNECTIONS; do
  read -r rps answered p50 p99 gen_cpu connects elapsed <<< "$(jfields "$OUT/events-c$c.json" \
    accepted_per_s accepted_202 latency_ms.p50 latency_ms.p99 cpu_pct_of_one_core connects elapsed_s)"
  read -r h_cpu p_cpu busy steal < "$OUT/cpu-events-c$c.txt"
  read -r stored jobs < "$OUT/stored-events-c$c.txt"
  raw_tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$OUT/pgbench-c$c.txt" | head -n 1)
  raw_tps=${raw_tps%.*}
  raw_lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$OUT/pgbench-c$c.txt")
  raw_n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$OUT/pgbench-c$c.txt")
  raw_failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$OUT/pgbench-c$c.txt")
  read -r r_h r_p r_busy r_steal < "$OUT/cpu-pgbench-c$c.txt"
  pgb_cpu=$(pgbench_cpu_pct "$OUT/pgbench-c$c.times")
  r=$(ratio "$rps" "$raw_tps")
  v=$(verdict "$r" 0.5 ge)
  [ "$v" = met ] || ratios_ok=0
  others=$(others_pct "$busy" "$gen_cpu" "$h_cpu" "$p_cpu")
  events_rows+="| $c | **$rps** | $p50 / $p99 ms | $answered | $stored | $connects | ${gen_cpu}% | ${h_cpu}% | ${p_cpu}% | ${others}% | ${busy}% (steal ${steal}%) | $jobs |"$'\n'
  others=$(others_pct "$r_busy" "$pgb_cpu" "$r_p")
  raw_rows_md+="| $c | **$raw_tps** | ${raw_lat} ms | $raw_n | ${raw_failed:-0} | ${pgb_cpu}% | ${r_p}% | ${others}% | ${r_busy}% (steal ${r_steal}%) |"$'\n'
  # the cost of one event and of one raw insert: CPU time per row, and (with
  # pg_stat_statements) the module's statements per event: sap_event_store's
  # calls, and all of the module's statements (the workers' look at the
  # queue included) during the row
  per_row_us() { awk -v p="$1" -v r="$2" 'BEGIN { printf "%.0f µs\n", (r > 0) ? p / 100 / r * 1e6 : 0 }'; }
  stmts="- | -"
  if [ "$pg_statements" = 1 ]; then
    stmts=$(awk -F ' [|] ' -v n="$stored" '$5 ~ /^PREPARE sap_/ { c += $1 } $5 ~ /^PREPARE sap_event_store[ (]/ { e += $1 }
      END { printf "%.2f | %.2f\n", (n > 0) ? e / n : 0, (n > 0) ? c / n : 0 }' "$OUT/pg-statements-events-c$c.txt")
  fi
  ratio_rows+="| $c | $rps | $raw_tps | **$r** | ≥ 0.5 | $v | $(per_row_us "$p_cpu" "$rps") / $(per_row_us "$r_p" "$raw_tps") | $(per_row_us "$h_cpu" "$rps") | $stmts |"$'\n'
  ratio_summary+="${ratio_summary:+; }$c connections: $rps / $raw_tps = $r"
done

# memory table and flatness: the samples after 20 000 … 100 000 events
mem_rows=""
while read -r n c p rate; do
  if [ "$n" = 0 ]; then
    mem_rows+="| before (after the runs of a) | $c MiB | $p MiB | |"$'\n'
  else
    mem_rows+="| after $n events | $c MiB | $p MiB | $rate |"$'\n'
  fi
done < "$OUT/memory.txt"
read -r mem_first mem_min mem_max <<< "$(awk 'NR > 1 { if (!f) f = $2; if (!mn || $2 < mn) mn = $2; if ($2 > mx) mx = $2 }
  END { print f, mn, mx }' "$OUT/memory.txt")"
mem_spread=$(awk -v a="$mem_min" -v b="$mem_max" 'BEGIN { printf "%.1f", b - a }')
mem_growth=$(awk -v a="$mem_before_children" -v b="$mem_after_children" 'BEGIN { printf "%+.1f", b - a }')
mem_flat=$(awk -v a="$mem_min" -v b="$mem_max" -v f="$mem_first" 'BEGIN {
  print (b - a <= 2 || b - a <= 0.05 * f) ? "flat" : "**not flat**" }')

ideal_calls_s=$(awk -v r="$total_rows" -v w="$WORKERS" -v k="$SLACK_CALLS_PER_RECIPIENT" -v l="$SLACK_LATENCY_MS" \
  'BEGIN { rounds = int((r + w - 1) / w); printf "%.2f", rounds * k * l / 1000 }')
ideal_rounds=$(( (total_rows + WORKERS - 1) / WORKERS ))
ideal_s=$(awk -v a="$ideal_calls_s" -v b="$plan_s" 'BEGIN { printf "%.2f", a + b }')
measured_s=$(awk -v a="$first_ms" -v b="$last_row_ms" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
dispatch_ratio=$(ratio "$measured_s" "$ideal_s")
dispatch_ratio_calls=$(ratio "$measured_s" "$ideal_calls_s")
dispatch_verdict=$(verdict "$dispatch_ratio" 1.5 le)
read -r d_h d_p d_busy d_steal < "$OUT/cpu-dispatch.txt"
lookup_limit=$(( WORKERS < LOOKUPS_IN_FLIGHT ? WORKERS : LOOKUPS_IN_FLIGHT ))
steal_all=$(awk -v a="$jiffies_start" -v b="$(machine_jiffies)" 'BEGIN { split(a, x, " "); split(b, y, " ")
  printf "%.0f%%\n", (y[2] > x[2]) ? 100 * (y[3] - x[3]) / (y[2] - x[2]) : 0 }')
ratio_verdict=$([ $ratios_ok = 1 ] && echo met || echo "**not met**")

# the top statements of pg_stat_statements, as table rows: "| run | statement | calls | mean | total |"
statement_rows() {   # statement_rows RUN_LABEL FILE COUNT
  awk -F ' [|] ' -v run="$1" -v n="$3" '
    $5 ~ /pg_stat_statements/ { next }
    {
      q = $5; for (i = 6; i <= NF; i++) q = q " | " $i
      if (match(q, /^PREPARE [a-z_0-9]+/)) label = "`" substr(q, 9, RLENGTH - 8) "` (the module)"
      else { label = substr(q, 1, 90); if (length(q) > 90) label = label "…"; gsub(/[|]/, "\\|", label); label = "`" label "`" }
      printf "| %s | %s | %d | %.3f ms | %.1f s |\n", run, label, $1, $3, $2 / 1000
      if (++shown >= n) exit
    }' "$2"
}
statements_md=""
if [ "$pg_statements" = 1 ]; then
  statements_md="Where PostgreSQL spent its time (\`pg_stat_statements\`, loaded for the whole run, reset before each row;
the events' rows count from the start of the load until its last answer, which is all an event costs:
with mechanism \`native\` no job is created, so no worker runs for it afterwards; *total* is the execution
time summed over all backends, waits for locks included):

| run | statement | calls | mean | total |
|---|---|---:|---:|---:|
"
  for c in $EVENT_CONNECTIONS; do
    statements_md+=$(statement_rows "events, $c connections" "$OUT/pg-statements-events-c$c.txt" 4)$'\n'
  done
  for c in $PGBENCH_CLIENTS; do
    statements_md+=$(statement_rows "pgbench, $c clients" "$OUT/pg-statements-pgbench-c$c.txt" 1)$'\n'
  done
fi

# --- docs/benchmarks.md -----------------------------------------------------------
bench_machine_facts
pgbench_version=$("$PGBENCH" --version | sed -n 's/^pgbench (PostgreSQL) \([^ ]*\).*/\1/p')

section="$SAP_RUN_DIR/section.md"
cat > "$section" <<MD
<!-- BEGIN bench/dispatch.sh: generated by \`bash bench/dispatch.sh\` (make bench); edits here are overwritten -->
## Engine events, dispatch, memory

Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`bash bench/dispatch.sh\` (or \`make bench\`), in one run
on one httpd, one PostgreSQL and one fake Slack.

| target | measured | |
|---|---|---|
| (a) events accepted per second ≥ 0.5 × raw single-row inserts per second, at 16 and at 64 connections | $ratio_summary | $ratio_verdict |
| (b) $total_rows DMs delivered in ≤ 1.5 × the ideal | ${measured_s} s = ${dispatch_ratio} × the ideal of ${ideal_s} s | $dispatch_verdict |
| (c) httpd's memory flat over $SOAK_EVENTS events | child RSS ${mem_before_children} → ${mem_after_children} MiB ($mem_growth MiB); ${mem_spread} MiB between the samples after $SOAK_STEP … $SOAK_EVENTS events | $mem_flat |

| machine and set-up | |
|---|---|
| CPU | $NCPU cores (\`nproc\`), ${cpu_model:-unknown} |
| memory | ${mem_total} MiB (\`free -m\`) |
| load before the run | load average $load_before; CPU busy $busy_before over 2 s with our httpd idle |
| CPU steal | $steal_all of all CPU time during the measurements went to other guests of the host |
| kernel | $(uname -r) |
| httpd | $httpd_version, event MPM with **one child process**: \`StartServers 1\`, \`ServerLimit 1\`, \`ThreadLimit $THREADS_PER_CHILD\`, \`ThreadsPerChild $THREADS_PER_CHILD\`, \`MaxRequestWorkers $THREADS_PER_CHILD\`, \`MinSpareThreads 1\`; keep-alive with the default \`MaxKeepAliveRequests 100\`; \`LogLevel warn\` |
| module | \`SlackApprovalsWorkers $WORKERS\` (threads of the one child); mod_dbd \`DBDMin 1\`, \`DBDKeep $DBD_MAX\`, \`DBDMax $DBD_MAX\` (every request thread and every worker can hold a connection); shmcb cache; the rest as \`t/lib/SAP/Httpd.pm\` (the full file: \`build/bench/dispatch/httpd.conf\`) |
| PostgreSQL | $pg_version, \`fsync=off\`, \`max_connections=200\` (scripts/pg.sh)$([ "$pg_statements" = 1 ] && echo ', `pg_stat_statements` loaded'), same machine, over TCP on 127.0.0.1 |
| event generator | \`bench/event-load.js\` (Node $(node --version), one thread, keep-alive HTTP/1.1 connections), same machine |
| raw inserts | pgbench $pgbench_version, \`-M prepared -j 2\`, same machine |

### (a) Engine events accepted per second, against raw inserts

\`POST /slack-approvals/api/v1/events\`, ${EVENT_DURATION} s per row, mechanism \`native\`. Every request is a
distinct event (its own \`event_id\` and approval id) of ${sample_bytes} bytes: the complete
\`approval_requested\` event of DESIGN section 6, signed as the engine signs it (\`X-Approvals-Request-Timestamp\`,
\`X-Approvals-Signature\` = \`v0=\` + HMAC-SHA256 of \`v0:ts:body\` with the engine secret). The module checks
the signature, validates the event, plans it on arrival from the cached settings (mechanism \`native\`: no
job, outcome \`native: nothing sent …\`), and stores the event with its outcome and \`dispatched_at\` in one
SQL statement before it answers 202. Nothing is left to do after the answer: no job, no worker.

| connections | events/s (202) | p50 / p99 | answers 202 | events stored | TCP connections | generator CPU | httpd CPU | PostgreSQL CPU | other processes | machine busy | jobs created |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$events_rows
Raw inserts on the same PostgreSQL, same run: pgbench, ${PGBENCH_DURATION} s per row, each transaction one
single-row \`INSERT\` (autocommit) of a comparable row into a table of its own:
\`sap_bench_raw_events (event_id text PRIMARY KEY, payload jsonb NOT NULL, received_at timestamptz DEFAULT now())\`,
with the same ${sample_bytes}-byte event as the \`jsonb\` payload and a distinct \`event_id\` per row
(script: \`build/bench/dispatch/raw-insert.sql\`).

| clients | inserts/s | latency average | inserts | failed | pgbench CPU | PostgreSQL CPU | other processes | machine busy |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$raw_rows_md
| connections | events/s | raw inserts/s | ratio | target | | PostgreSQL CPU per event / per raw insert | httpd CPU per event | \`sap_event_store\` per event | all the module's statements per event |
|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|
$ratio_rows
$statements_md
- **answers 202 = events stored**: checked for every row (and every native run below). The generator
  starts no new request after ${EVENT_DURATION} s and waits for the ones in flight, so every stored event has
  its answer counted; every answer was 202, none failed, every stored event has an \`outcome\` that starts
  with \`native:\` and its \`dispatched_at\` set (it was planned when it arrived), and no job names any of
  the row's events (*jobs created*: 0 is checked, not just shown).
- **CPU** columns: httpd's child, PostgreSQL (all its processes) and the generator in % of one core,
  from /proc over the row's ${EVENT_DURATION} s; *other processes*: what the rest of the machine used in
  the same time (all cores' busy time minus the columns before it; anything well above 0 means
  something else ran and the row is low); *machine busy* in % of all $NCPU cores. The
  generator is not the bottleneck when it uses a small part of one core while the machine is busy:
  httpd and PostgreSQL share the same $NCPU cores, so whatever the generator uses is taken from them.
- What the two sides do per row: the module parses HTTP, checks an HMAC, parses and validates the
  JSON, reads the settings from its shared-memory cache (the database only on a miss; an entry lives
  5 minutes), plans the event (native: no job), takes a pooled connection and runs **one** statement,
  \`sap_event_store\`, then answers. That statement inserts the event row (the payload as \`jsonb\`, the
  outcome, \`dispatched_at = now()\`; a primary key and one more index) and would insert the event's jobs
  in the same statement; with native there are none. No worker touches a native event. pgbench sends
  one prepared \`INSERT\` of one row with one index, and nothing else. *\`sap_event_store\` per event*
  should be 1.00; *all the module's statements per event* adds whatever else the module ran during
  the row (the job poller's periodic look at the queue, which runs with or without events), from
  \`pg_stat_statements\`. *CPU per event / per raw insert*: the CPU time the row's processes used, divided
  by the rows they wrote; both sides share the same $NCPU cores, so where PostgreSQL needs more time per
  event, fewer events fit.

### (b) Dispatch time, against the ideal

$DISPATCH_EVENTS \`approval_requested\` events, each with $DISPATCH_RECIPIENTS distinct recipients ($total_rows Slack
users defined in the fake Slack, one per email), delivery mode \`dm\`, mechanism \`slack\`, one workspace
installed through the module's OAuth flow (\`/admin/slack/install\` → the fake's code → \`/slack/oauth/callback\`).
The fake Slack waits ${SLACK_LATENCY_MS} ms before answering every Web API call (\`/_control/inject\`
\`{"method":"*","latency_ms":$SLACK_LATENCY_MS,"times":-1}\`). The events are POSTed over
$DISPATCH_CONNECTIONS connections; the time runs from the first POST to the last history row.

**The ideal.** Each recipient is one job that makes $SLACK_CALLS_PER_RECIPIENT Slack calls one after the other
(\`users.lookupByEmail\`, \`conversations.open\`, \`chat.postMessage\`), none of them cached yet, so a
job takes at least $SLACK_CALLS_PER_RECIPIENT × ${SLACK_LATENCY_MS} ms. W = $WORKERS worker threads in the one
child run at most W jobs at once; the look-up limit (at most $LOOKUPS_IN_FLIGHT in flight per process) does not
bind, since min(W, $LOOKUPS_IN_FLIGHT) = $lookup_limit look-ups can be in flight and each job makes one. So:

    ideal = ceil(R / W) × k × L + P
          = ceil($total_rows / $WORKERS) × $SLACK_CALLS_PER_RECIPIENT × ${SLACK_LATENCY_MS} ms + P = $ideal_rounds × $(( SLACK_CALLS_PER_RECIPIENT * SLACK_LATENCY_MS )) ms + P = ${ideal_calls_s} s + P

where P is what accepting and planning the events costs. Each event is planned when it arrives: the
request that accepts it reads the (cached) settings and stores the event, its outcome
(\`slack (dm): $DISPATCH_RECIPIENTS recipients\`) and its $DISPATCH_RECIPIENTS \`notify.recipient\` jobs in one statement before it answers
202, so every job exists by the time of the last 202. P is therefore measured in this run itself: from
the first POST to the last 202 (the generator's clock), P = ${plan_s} s. Adding it in full makes the
ideal generous: the workers start delivering the first events' jobs while the later ones are still
being accepted.

| | |
|---|---:|
| measured: first POST → the ${total_rows}th history row (\`created_at\`) | **${measured_s} s** |
| ideal (Slack calls only): ceil($total_rows / $WORKERS) × $SLACK_CALLS_PER_RECIPIENT × ${SLACK_LATENCY_MS} ms | ${ideal_calls_s} s |
| P: first POST → last 202, the $DISPATCH_EVENTS events accepted and their $total_rows jobs stored | ${plan_s} s |
| ideal = the two above | ${ideal_s} s |
| measured / ideal (target ≤ 1.5) | **${dispatch_ratio}** ($dispatch_verdict); ${dispatch_ratio_calls} against the Slack calls alone |
| jobs | $dm_jobs \`notify.recipient\` jobs (one per event and recipient, \`via\` slack), $dm_jobs_done done, $dm_jobs_failed failed; every event's outcome \`slack (dm): $DISPATCH_RECIPIENTS recipients\` |
| history rows | $sent_rows SENT (dm), $failed_rows FAILED, $recipients_distinct distinct recipients |
| Slack calls received by the fake | users.lookupByEmail $n_lookup ($ok_lookup ok), conversations.open $n_open ($ok_open ok), chat.postMessage $n_post ($ok_post ok); $n_calls in all |
| most Slack calls in flight at once (from the fake's record) | $in_flight (W = $WORKERS) |
| CPU during the dispatch | httpd ${d_h}%, PostgreSQL ${d_p}% of one core; machine ${d_busy}% busy |

### (c) Memory over $SOAK_EVENTS events

VmRSS from /proc/PID/status of httpd's one child process and of the parent, after the runs of (a),
then after every $SOAK_STEP events (mechanism \`native\`: each event planned and stored on arrival, no job,
so the workers stay idle). Each step is $SOAK_STEP events over $SOAK_CONNECTIONS connections, bounded by count (and
300 s), checked as the rows of (a) are; the sample is taken right after the step's last answer.
$SOAK_EVENTS events took ${soak_s} s in all.

| when | child RSS | parent RSS | events/s in the step |
|---|---:|---:|---:|
$mem_rows
At start-up, before any load, the child had ${mem_start_children} MiB and the parent ${mem_start_parent} MiB; at the very end
(after (b), with the Slack client, its caches and the workspace in use) ${mem_end_children} MiB and ${mem_end_parent} MiB.
"Flat" here means: the samples after $SOAK_STEP … $SOAK_EVENTS events differ by at most 2 MiB or 5 %.

### Caveats

- Everything runs on one shared $NCPU-core machine: the generator, httpd, PostgreSQL, pgbench and the
  fakes compete for the same CPUs, so the rates are the machine's as much as the module's. The raw
  inserts have the whole machine for PostgreSQL and pgbench; the module's events share it with httpd
  and the generator. Another job on the machine (a test run, a build) lowers every number (see "load
  before the run"); one run, no repetition: differences of 10–20 % between runs are normal.
- PostgreSQL runs with \`fsync=off\`, as in the tests: commits do not wait for a disk. With a durable
  disk every commit also waits for a flush (concurrent commits share one): both rates drop. A native
  event is one commit, as a raw insert is; a Slack or email event is one commit at intake too, and then
  several for each of its jobs when a worker runs it (the claim, the history rows, the finish).
- Loopback only (127.0.0.1): no network latency, no TLS.
- The fake Slack answers after exactly ${SLACK_LATENCY_MS} ms; Slack's own latency varies, and Slack rate-limits
  \`chat.postMessage\` per channel (about one message per second), which DMs to distinct users do not hit.
- Raw outputs of the last run (the generator's JSON, pgbench's reports, CPU samples, the Slack call
  summary, httpd's error log, PostgreSQL's log): \`build/bench/dispatch/\`.
<!-- END bench/dispatch.sh -->
MD

bench_write_section bench/dispatch.sh "$section"
sed -n '/^| target |/,/^$/p' "$section"
