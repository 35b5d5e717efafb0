#!/bin/bash
# make bench (third part): Slack interaction acks, as bench/README.md
# describes, in one run on one machine:
#   (a) verified block_actions acks per second, POST /slack/interactions (a
#       signed Slack click of about 3.5 KB, each one a distinct click stored as
#       an interaction.decide job before the 200), at 16 and 64 connections,
#       against Slack's Bolt for JavaScript (its default HTTP receiver and a
#       bare ack()) serving the same signed bodies;
#   (b) requests with a bad signature rejected per second, against a static
#       file of httpd's core default-handler receiving the same POSTs.
# Installs what is missing (wrk; @slack/bolt into build/bench-node/), builds
# the module, starts its own PostgreSQL, the fakes, one httpd with the module
# and one Bolt app (everything on 127.0.0.1, on free ports), measures, stops
# everything it started (by PID), and rewrites its own section of
# docs/benchmarks.md. Raw outputs of the last run: build/bench/interactions/.
#
# Every load is loopback only and bounded (wrk -d 10s; waiting for the job
# queue gives up after DRAIN_TIMEOUT). A run takes five to seven minutes once
# the packages are installed.
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
CONNECTIONS="16 64"          # concurrency of every measured row
WRK_THREADS=2
DURATION=10                  # seconds per measured row
WARMUP=3                     # seconds, not measured (each server, 64 connections)
USERS=2000                   # the clicks cycle through this many Slack users
TEAM_ID=T0BENCH
DRAIN_TIMEOUT=600            # seconds: waiting for the job queue gives up after this
PARK_LATENCY_MS=9000         # (a) "workers parked": every fake answers this late (< the module's 10 s HTTP timeout)
P99_TARGET_MS=10             # (a) at 16 connections
ACK_RATIO_TARGET=3           # (a) module / Bolt
REJECT_RATIO_TARGET=0.70     # (b) module / baseline
BOLT_DIR="$SAP_TOP/build/bench-node"   # git-ignored (build/)

# shellcheck source=bench/lib.sh
. bench/lib.sh

# --- dependencies and build -------------------------------------------------
bash scripts/install-deps.sh
bench_install_wrk
command -v node >/dev/null 2>&1 || die "node is missing (scripts/install-deps.sh installs it)"
command -v npm >/dev/null 2>&1 || die "npm is missing (scripts/install-deps.sh installs it)"
# Bolt: exactly what bench/bolt/package-lock.json pins, into build/bench-node/
# (npm ci, no global install); skipped when that version is already there.
bolt_locked=$(node -e 'const l = require(process.argv[1]); console.log(l.packages["node_modules/@slack/bolt"].version)' \
              "$SAP_TOP/bench/bolt/package-lock.json")
bolt_installed=$(node -e 'try { console.log(require(process.argv[1]).version) } catch (e) { console.log("none") }' \
                 "$BOLT_DIR/node_modules/@slack/bolt/package.json")
if [ "$bolt_installed" != "$bolt_locked" ] || ! cmp -s bench/bolt/package-lock.json "$BOLT_DIR/package-lock.json"; then
  log "installing @slack/bolt $bolt_locked into build/bench-node (npm ci)"
  mkdir -p "$BOLT_DIR"
  cp bench/bolt/package.json bench/bolt/package-lock.json "$BOLT_DIR/"
  (cd "$BOLT_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) \
    || die "npm ci of @slack/bolt failed"
fi
make -s module > "${TMPDIR:-/tmp}/sap-bench-interactions-build.log" 2>&1 \
  || { cat "${TMPDIR:-/tmp}/sap-bench-interactions-build.log" >&2; exit 1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
OUT="$SAP_TOP/build/bench/interactions"   # raw outputs of the last run (git-ignored)
rm -rf "$OUT"; mkdir -p "$OUT"

bench_runtime_init bench-interactions
# The trap of bench/lib.sh stops httpd, the load, the fakes and PostgreSQL;
# Bolt is ours to stop, before all that (with the exit status kept).
bolt_pid=
interactions_finish() {
  local rc=$?
  set +e
  bench_stop_pid "$bolt_pid"
  cp "$SAP_RUN_DIR/bolt.err" "$OUT/bolt.stderr" 2>/dev/null
  (exit $rc)
  bench_finish
}
trap interactions_finish EXIT

# --- PostgreSQL (migrated by sap_env_start) and the fakes --------------------
pg_port=$(sap_free_port)
log "starting PostgreSQL on 127.0.0.1:$pg_port and the fakes"
sap_env_start "$SAP_RUN_DIR/pg" "$pg_port"
psql_db() { psql "$SAP_TEST_DBPARAMS" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
SLACK="http://127.0.0.1:$SAP_FAKE_SLACK_PORT"
ENGINE="http://127.0.0.1:$SAP_FAKE_ENGINE_PORT"
SECRET_FILE="$SAP_TEST_SECRETS/signing_secret"
# What PostgreSQL runs per ack: pg_stat_statements, loaded for the whole run
# (as bench/dispatch.sh does), reset before each module row and read right
# after it. SAP_BENCH_PG_STATEMENTS=0 leaves it out.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
bench_pg_statements_load
postmaster_pid=$(head -n 1 "$SAP_RUN_DIR/pg/data/postmaster.pid")
fake_pids=$(tr '\n' ' ' < "$SAP_RUN_DIR/pids")

# --- httpd with the module ---------------------------------------------------
# As bench/dispatch.sh: one child process of the event MPM with 80 threads
# (so CPU is one process's), SlackApprovalsWorkers 8, a mod_dbd pool as large
# as the threads that can use it, LogLevel warn; plus the static baseline of (b).
http_port=$(sap_free_port)
mkdir -p "$HTTPD_DIR/logs" "$HTTPD_DIR/htdocs/baseline"
chmod -R 0755 "$HTTPD_DIR"
{
  bench_httpd_conf "$http_port"
  cat <<CONF
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
# The baseline of (b): core's default handler sends a static file (POST is
# allowed; the request body is read and discarded).
<Location /baseline>
    SetHandler default-handler
</Location>
CONF
} > "$HTTPD_DIR/httpd.conf"
cp "$HTTPD_DIR/httpd.conf" "$OUT/httpd.conf"
bench_httpd_start "$http_port"
BASE="http://127.0.0.1:$http_port"
MOD="$BASE/slack-approvals"
INTERACTIONS_PATH=/slack-approvals/slack/interactions
bench_wait_healthy "$MOD/healthz"

# --- Bolt ---------------------------------------------------------------------
bolt_port=$(sap_free_port)
log "starting Bolt $bolt_locked on 127.0.0.1:$bolt_port"
node bench/bolt-server.js --modules "$BOLT_DIR/node_modules" --port "$bolt_port" \
  --signing-secret-file "$SECRET_FILE" --slack-api "$SLACK/api/" \
  > "$SAP_RUN_DIR/bolt.out" 2> "$SAP_RUN_DIR/bolt.err" &
bolt_pid=$!
for _ in $(seq 1 100); do
  grep -q '^READY ' "$SAP_RUN_DIR/bolt.out" 2>/dev/null && break
  kill -0 "$bolt_pid" 2>/dev/null || die "Bolt did not start: $(cat "$SAP_RUN_DIR/bolt.err")"
  sleep 0.1
done
grep -q '^READY ' "$SAP_RUN_DIR/bolt.out" || die "Bolt did not start within 10 s: $(cat "$SAP_RUN_DIR/bolt.err")"
BOLT="http://127.0.0.1:$bolt_port"
BOLT_PATH=/slack/events

# --- measuring helpers ---------------------------------------------------------
child_pids() { ps --ppid "$httpd_pid" -o pid= 2>/dev/null | tr -d ' ' | sort -n | tr '\n' ' ' | sed 's/ $//'; }
child_at_start=$(child_pids)
[ -n "$child_at_start" ] || die "httpd has no child process"
same_child() {
  local now; now=$(child_pids)
  [ "$now" = "$child_at_start" ] \
    || die "httpd's child process changed ($child_at_start -> ${now:-none}): it died? $(grep -m 3 -i 'exit signal\|AH00052' "$HTTPD_DIR/logs/error_log" || true)"
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
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
# "busy_jiffies total_jiffies steal_jiffies" of the whole machine, from /proc/stat.
machine_jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t, $9 }' /proc/stat; }
now_ms() { date +%s%3N; }
# cpu_snapshot: "epoch_ms httpd pg bolt fakes busy total steal"
# shellcheck disable=SC2046,SC2086
cpu_snapshot() {
  echo "$(now_ms) $(proc_ticks "$httpd_pid" $(child_pids)) \
$(proc_ticks "$postmaster_pid" $(ps --ppid "$postmaster_pid" -o pid= 2>/dev/null)) \
$(proc_ticks "$bolt_pid") $(proc_ticks $fake_pids) $(machine_jiffies)"
}
# cpu_report BEFORE AFTER: "httpd% pg% bolt% fakes% machine_busy% steal%"
# (processes in % of one core; the machine in % of all its cores)
cpu_report() {
  awk -v a="$1" -v b="$2" -v hz="$CLK_TCK" 'BEGIN { split(a, x, " "); split(b, y, " ")
    s = (y[1] - x[1]) / 1000; if (s <= 0) s = 1
    tot = y[7] - x[7]; if (tot <= 0) tot = 1
    printf "%.0f %.0f %.0f %.0f %.0f %.0f\n", 100 * (y[2] - x[2]) / hz / s, 100 * (y[3] - x[3]) / hz / s,
      100 * (y[4] - x[4]) / hz / s, 100 * (y[5] - x[5]) / hz / s,
      100 * (y[6] - x[6]) / tot, 100 * (y[8] - x[8]) / tot }'
}
# The CPU time of this shell's reaped children, in seconds, from a file
# bash's times wrote (its second line); `times > FILE` runs in this shell.
children_cpu_s() {
  sed -n 2p "$1" | awk '{ t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
    printf "%.3f\n", t }'
}
max_job_id() { psql_db -c "SELECT coalesce(max(id), 0) FROM sap_jobs"; }
decide_jobs_after() { psql_db -c "SELECT count(*) FROM sap_jobs WHERE kind = 'interaction.decide' AND id > $1"; }
pending_jobs() { psql_db -c "SELECT count(*) FROM sap_jobs WHERE state IN ('queued', 'running')"; }
# Waits until no job is queued or running; prints the seconds it took.
wait_drain() {
  local what=$1 t0 busy
  t0=$(now_ms)
  while :; do
    busy=$(psql_db -c "SELECT EXISTS (SELECT 1 FROM sap_jobs WHERE state = 'queued')
                              OR EXISTS (SELECT 1 FROM sap_jobs WHERE state = 'running')")
    [ "$busy" = f ] && break
    [ $(( $(now_ms) - t0 )) -lt $(( DRAIN_TIMEOUT * 1000 )) ] \
      || die "$what: $(pending_jobs) jobs still queued or running after ${DRAIN_TIMEOUT}s"
    sleep 0.2
  done
  awk -v a="$t0" -v b="$(now_ms)" 'BEGIN { printf "%.1f\n", (b - a) / 1000 }'
}

# park_workers on|off: every Web API call at the fake Slack and every call at
# the fake engine answers PARK_LATENCY_MS late (on), or at once again (off).
# A job's first outbound call then holds its worker for that long, so the
# $WORKERS workers take $WORKERS jobs and wait: the acks run without the
# workers' CPU. The calls in flight when it is turned off still finish late
# (within the module's timeout), so no job fails.
park_workers() {
  if [ "$1" = on ]; then
    curl -fsS -X POST -H 'Content-Type: application/json' \
      -d "{\"method\":\"*\",\"latency_ms\":$PARK_LATENCY_MS,\"times\":-1}" "$SLACK/_control/inject" > /dev/null
    curl -fsS -X POST -H 'Content-Type: application/json' \
      -d "{\"endpoint\":\"*\",\"latency_ms\":$PARK_LATENCY_MS,\"times\":-1}" "$ENGINE/_control/inject" > /dev/null
  else
    curl -fsS -X DELETE "$SLACK/_control/inject" > /dev/null
    curl -fsS -X DELETE "$ENGINE/_control/inject" > /dev/null
  fi
}

# wrk's latency ("624.00us", "2.93ms", "1.02s") in ms
to_ms() {
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
    else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.2f\n", n }'
}

# Every request a distinct click (bench/interactions.lua): click numbers start
# at next_first and each run moves it past every number the run can have used.
node bench/interaction-payload.js check --team "$TEAM_ID" --response-base "$SLACK" > "$OUT/payload-check.txt" \
  || die "the generated bodies are not Slack's encoding: $(cat "$OUT/payload-check.txt")"
body_bytes=$(node bench/interaction-payload.js template --team "$TEAM_ID" --response-base "$SLACK" \
             --out "$SAP_RUN_DIR/template.lua")
cp "$SAP_RUN_DIR/template.lua" "$OUT/template.lua"
secret=$(cat "$SECRET_FILE")   # $(…) drops the newline, as the module and Bolt do
next_first=1
# run_wrk NAME URL_BASE PATH CONNECTIONS SECONDS [bad]: the load in the
# background (the trap stops it), CPU around it; outputs in $OUT/wrk-NAME.txt,
# $OUT/cpu-NAME.txt ("httpd pg bolt fakes busy steal wrk" in % of one core,
# busy and steal of the machine).
run_wrk() {
  local name=$1 base=$2 path=$3 c=$4 secs=$5 bad=0 before after cpu0 cpu1 reqs
  [ "${6:-}" = bad ] && bad=1
  log "wrk: $name ($WRK_THREADS threads x $c connections x ${secs}s)"
  before=$(cpu_snapshot)
  times > "$SAP_RUN_DIR/times0"
  SAP_BENCH_TEMPLATE="$SAP_RUN_DIR/template.lua" SAP_BENCH_SECRET="$secret" SAP_BENCH_FIRST=$next_first \
  SAP_BENCH_USERS=$USERS SAP_BENCH_PATH="$path" SAP_BENCH_BAD=$bad SAP_BENCH_THREADS=$WRK_THREADS \
    wrk -t "$WRK_THREADS" -c "$c" -d "${secs}s" --timeout 5s --latency -s bench/interactions.lua "$base$path" \
    > "$OUT/wrk-$name.txt" 2>&1 &
  BENCH_LOAD_PID=$!
  wait "$BENCH_LOAD_PID" || { BENCH_LOAD_PID=; die "wrk $name failed: $(cat "$OUT/wrk-$name.txt")"; }
  BENCH_LOAD_PID=
  times > "$SAP_RUN_DIR/times1"
  after=$(cpu_snapshot)
  cpu0=$(children_cpu_s "$SAP_RUN_DIR/times0")
  cpu1=$(children_cpu_s "$SAP_RUN_DIR/times1")
  echo "$(cpu_report "$before" "$after") $(awk -v a="$cpu0" -v b="$cpu1" -v s="$secs" 'BEGIN { printf "%.0f", 100 * (b - a) / s }')" \
    > "$OUT/cpu-$name.txt"
  grep -q '^Requests/sec:' "$OUT/wrk-$name.txt" || die "no result in $OUT/wrk-$name.txt"
  # wrk catches SIGINT, prints a short run's results and exits 0: a run that
  # stopped early must not be published.
  awk -v want="$secs" '/ requests in / { d = $4; sub(/s,$/, "", d); ok = (d + 0 >= want * 0.9) }
      END { exit !ok }' "$OUT/wrk-$name.txt" || die "wrk $name stopped early (interrupted?)"
  reqs=$(awk '/ requests in / { print $1 }' "$OUT/wrk-$name.txt")
  next_first=$(( next_first + WRK_THREADS * (reqs + c + 1) ))
  [ "$next_first" -lt 99999999 ] || die "click numbers exhausted (8 digits)"
}
curl_click() {   # curl_click URL OUTFILE [bad] -> prints "status bytes"
  local body ts sig
  body=$(node bench/interaction-payload.js sample --team "$TEAM_ID" --response-base "$SLACK" --user 1 \
         --n "$next_first" --secret-file "$SECRET_FILE" 2> "$SAP_RUN_DIR/sample.sig")
  next_first=$(( next_first + 1 ))
  read -r ts sig < "$SAP_RUN_DIR/sample.sig"
  [ "${3:-}" = bad ] && sig="v0=$(printf '%064d' 0)"
  curl -sS -o "$2" -w '%{http_code} %{size_download}' -X POST -H 'Content-Type: application/x-www-form-urlencoded' \
       -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" --data-binary "$body" "$1"
}

idle_before=$(machine_jiffies)
sleep 2
busy_before=$(awk -v a="$idle_before" -v b="$(machine_jiffies)" 'BEGIN { split(a, x, " "); split(b, y, " ")
  printf "%.0f%%\n", (y[2] > x[2]) ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 0 }')

# --- the workspace and the people the clicks name ----------------------------------
# Installed through the module's OAuth flow (as bench/dispatch.sh does), so the
# workers find a bot token for the clicks' team; USERS Slack users (UB00001 …,
# bench-user-NNNNN@example.com) and the engine users of the same emails. The
# clicks name steps the engine does not know (each click its own step), so each
# decision ends in the engine's 404 step_not_found, reported to the clicker.
log "installing workspace $TEAM_ID through the module's OAuth flow; $USERS users"
bench_install_team
node bench/dispatch-helper.js users --slack "$SLACK" --team "$TEAM_ID" --count "$USERS" > "$OUT/slack-users.json"
# the channel of the clicked message (bench/interaction-payload.js), where the
# clicker gets the ephemeral outcome (the bot is a member; any team user may read)
curl -fsS -X POST -H 'Content-Type: application/json' \
  -d "{\"id\":\"C0BENCH001\",\"team_id\":\"$TEAM_ID\",\"name\":\"approvals\"}" \
  "$SLACK/_control/channels" > /dev/null || die "could not define the channel"
node -e '
  const n = Number(process.argv[1]); const list = [];
  for (let k = 1; k <= n; k++) { const s = String(k).padStart(5, "0");
    list.push({ account_id: `acct-${s}`, display_name: `Bench User ${s}`, email: `bench-user-${s}@example.com` }); }
  process.stdout.write(JSON.stringify(list));' "$USERS" > "$SAP_RUN_DIR/engine-users.json"
curl -fsS -X POST -H 'Content-Type: application/json' --data-binary "@$SAP_RUN_DIR/engine-users.json" \
  "$ENGINE/_control/users" > /dev/null || die "could not define the engine users"

# --- checks before measuring: the right answers, or no numbers --------------------
log "checking the answers: module, Bolt, baseline"
jobs_before=$(max_job_id)
read -r code bytes <<< "$(curl_click "$BASE$INTERACTIONS_PATH" "$OUT/module-sample.answer")"
[ "$code" = 200 ] && [ "$bytes" = 0 ] \
  || die "a signed click answered $code with $bytes bytes (want 200, empty): $(head -c 300 "$OUT/module-sample.answer")"
sleep 0.2
[ "$(decide_jobs_after "$jobs_before")" = 1 ] \
  || die "a signed click stored $(decide_jobs_after "$jobs_before") interaction.decide jobs, not 1"
read -r code bytes <<< "$(curl_click "$BASE$INTERACTIONS_PATH" "$OUT/module-badsig.answer" bad)"
[ "$code" = 401 ] || die "a click with a bad signature answered $code, not 401"
module_401_bytes=$bytes
read -r code bytes <<< "$(curl_click "$BOLT$BOLT_PATH" "$OUT/bolt-sample.answer")"
[ "$code" = 200 ] || die "Bolt answered $code to a signed click, not 200: $(head -c 300 "$OUT/bolt-sample.answer")"
bolt_ack_bytes=$bytes
read -r code bytes <<< "$(curl_click "$BOLT$BOLT_PATH" "$OUT/bolt-badsig.answer" bad)"
[ "$code" = 401 ] || die "Bolt answered $code to a bad signature, not 401"
# The baseline file holds the module's 401 answer byte for byte.
cp "$OUT/module-badsig.answer" "$HTTPD_DIR/htdocs/baseline/answer"
chmod 0644 "$HTTPD_DIR/htdocs/baseline/answer"
read -r code bytes <<< "$(curl_click "$BASE/baseline/answer" "$OUT/baseline.answer")"
[ "$code" = 200 ] && cmp -s "$OUT/module-badsig.answer" "$OUT/baseline.answer" || die "the baseline answered $code"
wait_drain "sample" > /dev/null

# === warm-up: not measured ==========================================================
# mod_dbd opens and prepares its connections, V8 compiles Bolt's hot paths.
run_wrk warmup-module "$BASE" "$INTERACTIONS_PATH" 64 "$WARMUP"
run_wrk warmup-bolt "$BOLT" "$BOLT_PATH" 64 "$WARMUP"
run_wrk warmup-badsig "$BASE" "$INTERACTIONS_PATH" 64 "$WARMUP" bad
run_wrk warmup-baseline "$BASE" /baseline/answer 64 "$WARMUP"
warmup_drain=$(wait_drain "warm-up")
log "warm-up jobs done in ${warmup_drain}s"
jiffies_start=$(machine_jiffies)

# === (b) bad signatures against the baseline (no job, nothing to drain) ==============
for c in $CONNECTIONS; do
  jobs_before=$(max_job_id)
  log_lines_before=$(wc -l < "$HTTPD_DIR/logs/error_log")
  run_wrk "badsig-c$c" "$BASE" "$INTERACTIONS_PATH" "$c" "$DURATION" bad
  echo $(( $(wc -l < "$HTTPD_DIR/logs/error_log") - log_lines_before )) > "$OUT/badsig-c$c.loglines"
  read -r _ _ _ reqs non2xx _ <<< "$(wrk_fields "$OUT/wrk-badsig-c$c.txt")"
  [ "$non2xx" = "$reqs" ] || die "bad-signature run c$c: $non2xx of $reqs answers were not 2xx (all should be 401)"
  [ "$(decide_jobs_after "$jobs_before")" = 0 ] || die "bad-signature run c$c stored jobs"
  run_wrk "baseline-c$c" "$BASE" /baseline/answer "$c" "$DURATION"
  read -r _ _ _ _ non2xx _ <<< "$(wrk_fields "$OUT/wrk-baseline-c$c.txt")"
  [ "$non2xx" = 0 ] || die "baseline run c$c: $non2xx non-2xx answers"
  same_child
done

# === (a) acks: the module, then Bolt, at each concurrency ============================
# The workers run during the module's rows (they take the new jobs at once and
# call the fakes); the queue is drained before the next row starts, so no row
# (Bolt's included) shares the machine with an earlier row's backlog.
# module_row NAME CONNECTIONS [parked]: one measured row of the module, its
# checks, and the wait for the queue; "jobs backlog drain done failed" in
# $OUT/jobs-NAME.txt.
module_row() {
  local name=$1 c=$2 parked=${3:-} jobs_before pending jobs drain reqs non2xx errs states
  jobs_before=$(max_job_id)
  [ "$parked" = parked ] && park_workers on
  pg_statements_reset
  run_wrk "$name" "$BASE" "$INTERACTIONS_PATH" "$c" "$DURATION"
  pg_statements_dump "$OUT/pg-statements-$name.txt"
  pending=$(pending_jobs)
  [ "$parked" = parked ] && park_workers off
  jobs=$(decide_jobs_after "$jobs_before")
  drain=$(wait_drain "$name")
  read -r _ _ _ reqs non2xx errs <<< "$(wrk_fields "$OUT/wrk-$name.txt")"
  [ "$non2xx" = 0 ] || die "$name: $non2xx non-2xx answers (see $OUT/wrk-$name.txt)"
  # wrk counts the answers it read; the requests in flight when it stopped may
  # have been stored too, but no more than one per connection (and per socket error).
  [ "$jobs" -ge "$reqs" ] && [ "$jobs" -le $(( reqs + c + errs )) ] \
    || die "$name: $jobs interaction.decide jobs for $reqs answers 200 (want $reqs … $(( reqs + c + errs )))"
  states=$(psql_db -F ' ' -c "SELECT count(*) FILTER (WHERE state = 'done'), count(*) FILTER (WHERE state = 'failed')
                               FROM sap_jobs WHERE kind = 'interaction.decide' AND id > $jobs_before")
  echo "$jobs $pending $drain $states" > "$OUT/jobs-$name.txt"
  same_child
}
for c in $CONNECTIONS; do
  module_row "module-c$c" "$c"
  module_row "parked-c$c" "$c" parked
  run_wrk "bolt-c$c" "$BOLT" "$BOLT_PATH" "$c" "$DURATION"
  read -r _ _ _ _ non2xx _ <<< "$(wrk_fields "$OUT/wrk-bolt-c$c.txt")"
  [ "$non2xx" = 0 ] || die "Bolt run c$c: $non2xx non-2xx answers (see $OUT/wrk-bolt-c$c.txt)"
  kill -0 "$bolt_pid" 2>/dev/null || die "Bolt died: $(tail -n 5 "$SAP_RUN_DIR/bolt.err")"
done
steal_all=$(awk -v a="$jiffies_start" -v b="$(machine_jiffies)" 'BEGIN { split(a, x, " "); split(b, y, " ")
  printf "%.0f%%\n", (y[2] > x[2]) ? 100 * (y[3] - x[3]) / (y[2] - x[2]) : 0 }')
# what the workers did with the jobs (the last error of the failed ones, if any)
psql_db -F ' | ' -c "SELECT state, coalesce(left(last_error, 120), '-'), count(*) FROM sap_jobs
                     WHERE kind = 'interaction.decide' GROUP BY 1, 2 ORDER BY 3 DESC" > "$OUT/jobs-outcomes.txt"
node bench/dispatch-helper.js calls --slack "$SLACK" --out "$OUT/slack-calls.json" > /dev/null 2>&1 || true
grep -c . "$SAP_RUN_DIR/bolt.err" > "$OUT/bolt-stderr-lines.txt" || true

# --- results --------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", (b > 0) ? 100 * a / b : 0 }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }
fmt_rps() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }
# CPU time per answer in µs: per_us CPU% (of one core) REQUESTS_PER_S
per_us() { awk -v c="$1" -v r="$2" 'BEGIN { printf "%.0f", (r > 0) ? c / 100 * 1e6 / r : 0 }'; }
# CPU of everything else on the machine, in % of one core: all cores' busy
# time minus what the processes measured used (others_pct BUSY% MEASURED%…)
others_pct() {
  local busy=$1; shift
  awk -v b="$busy" -v n="$NCPU" -v m="$*" 'BEGIN { k = split(m, x, " "); o = b * n
    for (i = 1; i <= k; i++) o -= x[i]; printf "%.0f\n", (o > 0) ? o : 0 }'
}

acks_rows=""; bolt_rows=""; ack_summary=""; ack_ok=1
reject_rows=""; reject_summary=""; reject_ok=1
for c in $CONNECTIONS; do
  read -r m_rps m_p50 m_p99 m_reqs _ m_err <<< "$(wrk_fields "$OUT/wrk-module-c$c.txt")"
  read -r b_rps b_p50 b_p99 b_reqs _ b_err <<< "$(wrk_fields "$OUT/wrk-bolt-c$c.txt")"
  read -r x_rps _ _ _ _ _ <<< "$(wrk_fields "$OUT/wrk-baseline-c$c.txt")"
  read -r m_h m_p m_b m_f m_busy _ m_w < "$OUT/cpu-module-c$c.txt"
  read -r b_h b_p b_b b_f b_busy _ b_w < "$OUT/cpu-bolt-c$c.txt"
  read -r jobs pending drain done_jobs failed_jobs < "$OUT/jobs-module-c$c.txt"
  read -r k_rps k_p50 k_p99 k_reqs _ k_err <<< "$(wrk_fields "$OUT/wrk-parked-c$c.txt")"
  read -r k_h k_p k_b k_f k_busy _ k_w < "$OUT/cpu-parked-c$c.txt"
  read -r k_jobs k_pending k_drain k_done k_failed < "$OUT/jobs-parked-c$c.txt"
  r=$(ratio "$m_rps" "$b_rps")
  rk=$(ratio "$k_rps" "$b_rps")
  m_p99_ms=$(to_ms "$m_p99")
  verdict=met
  ge "$r" "$ACK_RATIO_TARGET" || verdict="**not met**"
  p99_note=""
  if [ "$c" = 16 ]; then
    if lt "$m_p99_ms" "$P99_TARGET_MS"; then p99_note=", p99 $m_p99 < ${P99_TARGET_MS} ms"
    else p99_note=", p99 $m_p99 ≥ ${P99_TARGET_MS} ms"; verdict="**not met**"; fi
  fi
  [ "$verdict" = met ] || ack_ok=0
  acks_rows+="| $c | **$(fmt_rps "$m_rps")** | $m_p50 / $m_p99 | $(fmt_rps "$b_rps") | $b_p50 / $b_p99 | **${r}×** | $verdict | $(fmt_rps "$k_rps") | $k_p50 / $k_p99 | ${rk}× |"$'\n'
  bolt_rows+="| module, $c | $m_reqs | $m_err | $jobs | $pending | ${drain} s | $done_jobs / $failed_jobs | ${m_h}% | ${m_p}% | ${m_f}% | ${m_w}% | $(others_pct "$m_busy" "$m_h" "$m_p" "$m_b" "$m_f" "$m_w")% | ${m_busy}% | $(per_us "$m_h" "$m_rps") / $(per_us "$m_p" "$m_rps") µs | $(pct "$m_rps" "$x_rps") |"$'\n'
  bolt_rows+="| module, workers parked, $c | $k_reqs | $k_err | $k_jobs | $k_pending | ${k_drain} s | $k_done / $k_failed | ${k_h}% | ${k_p}% | ${k_f}% | ${k_w}% | $(others_pct "$k_busy" "$k_h" "$k_p" "$k_b" "$k_f" "$k_w")% | ${k_busy}% | $(per_us "$k_h" "$k_rps") / $(per_us "$k_p" "$k_rps") µs | $(pct "$k_rps" "$x_rps") |"$'\n'
  bolt_rows+="| Bolt, $c | $b_reqs | $b_err | – | – | – | – | ${b_b}% | ${b_p}% | ${b_f}% | ${b_w}% | $(others_pct "$b_busy" "$b_h" "$b_p" "$b_b" "$b_f" "$b_w")% | ${b_busy}% | $(per_us "$b_b" "$b_rps") µs / – | $(pct "$b_rps" "$x_rps") |"$'\n'
  ack_summary+="${ack_summary:+; }$c connections: $(fmt_rps "$m_rps") vs $(fmt_rps "$b_rps") acks/s = ${r}×$p99_note (workers parked: ${rk}×)"

  read -r d_rps d_p50 d_p99 _ d_non2xx d_err <<< "$(wrk_fields "$OUT/wrk-badsig-c$c.txt")"
  read -r x_rps x_p50 x_p99 _ _ x_err <<< "$(wrk_fields "$OUT/wrk-baseline-c$c.txt")"
  read -r d_h d_p d_b d_f d_busy _ d_w < "$OUT/cpu-badsig-c$c.txt"
  read -r x_h x_p x_b x_f x_busy _ x_w < "$OUT/cpu-baseline-c$c.txt"
  rr=$(ratio "$d_rps" "$x_rps")
  v=met; ge "$rr" "$REJECT_RATIO_TARGET" || { v="**not met**"; reject_ok=0; }
  reject_rows+="| $c | bad signature → 401 | **$(fmt_rps "$d_rps")** | $d_p50 / $d_p99 | $d_non2xx (all 401) | $d_err | ${d_h}% ($(per_us "$d_h" "$d_rps") µs per request) | ${d_w}% | $(others_pct "$d_busy" "$d_h" "$d_p" "$d_b" "$d_f" "$d_w")% | ${d_busy}% | $(cat "$OUT/badsig-c$c.loglines") | **$(pct "$d_rps" "$x_rps")** | $v |"$'\n'
  reject_rows+="| $c | baseline: static file → 200 | $(fmt_rps "$x_rps") | $x_p50 / $x_p99 | 0 | $x_err | ${x_h}% ($(per_us "$x_h" "$x_rps") µs per request) | ${x_w}% | $(others_pct "$x_busy" "$x_h" "$x_p" "$x_b" "$x_f" "$x_w")% | ${x_busy}% | – | (the reference) | |"$'\n'
  reject_summary+="${reject_summary:+; }$c connections: $(fmt_rps "$d_rps") vs $(fmt_rps "$x_rps") requests/s = $(pct "$d_rps" "$x_rps")"
done
# the top statements of a module row, per answer: "| row | statement | calls per ack | mean |"
statement_rows() {   # statement_rows ROW_LABEL FILE ANSWERS COUNT
  [ -s "$2" ] || return 0
  awk -F ' [|] ' -v run="$1" -v n="$4" -v acks="$3" '
    $5 ~ /pg_stat_statements/ { next }
    {
      q = $5; for (i = 6; i <= NF; i++) q = q " | " $i
      if (match(q, /^PREPARE [a-z_0-9]+/)) label = "`" substr(q, 9, RLENGTH - 8) "` (the module)"
      else { label = substr(q, 1, 90); if (length(q) > 90) label = label "…"; gsub(/[|]/, "\\|", label); label = "`" label "`" }
      printf "| %s | %s | %d | %.2f | %.3f ms |\n", run, label, $1, (acks > 0 ? $1 / acks : 0), $3
      if (++shown >= n) exit
    }' "$2"
}
statements_md=""
if [ "$pg_statements" = 1 ]; then
  statements_md="What PostgreSQL ran during the module's rows (\`pg_stat_statements\`, reset before each row and read as
wrk stops; with the workers parked that is the acks' own SQL, plus the job poller's look at the queue):

| row | statement | calls | per ack | mean |
|---|---|---:|---:|---:|
"
  for c in $CONNECTIONS; do
    for row in module parked; do
      read -r _ _ _ acks _ _ <<< "$(wrk_fields "$OUT/wrk-$row-c$c.txt")"
      label=$([ $row = parked ] && echo "workers parked, $c" || echo "module, $c")
      statements_md+=$(statement_rows "$label" "$OUT/pg-statements-$row-c$c.txt" "$acks" 4)$'\n'
    done
  done
fi
busy_note=""
if ! lt "${busy_before%\%}" 10; then
  busy_note="- **The machine was not idle**: ${busy_before} of its CPU was busy with other work for the 2 s before
  the run, with our servers idle (load average $load_before). Every row had less CPU than the machine
  has; see the *other processes* columns. Run it again on a quiet machine before reading the numbers."
fi
ack_verdict=$([ $ack_ok = 1 ] && echo met || echo "**not met**")
reject_verdict=$([ $reject_ok = 1 ] && echo met || echo "**not met**")
outcomes_md=$(awk -F ' [|] ' '{ printf "| %s | %s | %s |\n", $1, ($2 == "-" ? "–" : "`" $2 "`"), $3 }' "$OUT/jobs-outcomes.txt")

# --- docs/benchmarks.md -----------------------------------------------------------
bench_machine_facts

section="$SAP_RUN_DIR/section.md"
cat > "$section" <<MD
<!-- BEGIN bench/interactions.sh: generated by \`bash bench/interactions.sh\` (make bench); edits here are overwritten -->
## Interaction acks against Slack's Bolt, bad signatures against a static file

Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`bash bench/interactions.sh\` (or \`make bench\`), in one run on
one machine: one httpd with the module, one Bolt app, one PostgreSQL, the fakes, and wrk.

| target | measured | |
|---|---|---|
| (a) verified \`block_actions\` acks/s ≥ ${ACK_RATIO_TARGET} × Bolt's, at 16 and 64 connections, p99 < ${P99_TARGET_MS} ms at 16 | $ack_summary | $ack_verdict |
| (b) bad signatures rejected/s ≥ 70 % of a static file's requests/s | $reject_summary | $reject_verdict |

| machine and set-up | |
|---|---|
| CPU | $NCPU cores (\`nproc\`), ${cpu_model:-unknown} |
| memory | ${mem_total} MiB (\`free -m\`) |
| load before the run | load average $load_before; CPU busy $busy_before over 2 s with our servers idle |
| CPU steal | $steal_all of all CPU time during the measurements went to other guests of the host |
| kernel | $(uname -r) |
| httpd | $httpd_version, event MPM with **one child process** of $THREADS_PER_CHILD threads (\`StartServers 1\`, \`ServerLimit 1\`, \`ThreadsPerChild $THREADS_PER_CHILD\`, \`MaxRequestWorkers $THREADS_PER_CHILD\`); keep-alive with the default \`MaxKeepAliveRequests 100\`; \`LogLevel warn\` |
| module | \`SlackApprovalsWorkers $WORKERS\`; mod_dbd \`DBDMin 1\`, \`DBDKeep $DBD_MAX\`, \`DBDMax $DBD_MAX\`; one workspace installed through the OAuth flow; the rest as \`t/lib/SAP/Httpd.pm\` (the full file: \`build/bench/interactions/httpd.conf\`) |
| Bolt | @slack/bolt $bolt_locked (\`bench/bolt/package-lock.json\`, installed with \`npm ci\` into \`build/bench-node/\`) on Node $(node --version), one process: \`new App({signingSecret, token, botId, botUserId})\` with its default \`HTTPReceiver\` (signature verification on, \`processBeforeResponse: false\`), \`app.action(/.*/, async ({ ack }) => { await ack(); })\`, \`POST /slack/events\`, \`logLevel: ERROR\` (\`bench/bolt-server.js\`) |
| PostgreSQL | $pg_version, \`fsync=off\` (scripts/pg.sh)$([ "$pg_statements" = 1 ] && echo ', `pg_stat_statements` loaded'), same machine, over TCP on 127.0.0.1 |
| load generator | ${wrk_version:-wrk}, same machine, $WRK_THREADS threads, keep-alive, ${DURATION} s per row; \`bench/interactions.lua\` builds and signs every request |

### The requests

Every request of every row is a distinct Slack click on the **Approve** button of an approval message:
a \`block_actions\` payload of Slack's shape (user, api_app_id, token, container, trigger_id, team, enterprise,
channel, the message with its blocks — header, section, context and the actions block with Approve, Reject,
Abstain and View —, state, response_url, actions), \`Content-Type: application/x-www-form-urlencoded\`, body
\`payload=\` + the JSON, **${body_bytes} bytes**, encoded byte for byte as Slack encodes it (PHP-style urlencode,
\`\\/\` in the JSON; made by the fakes' encoder, \`t/fakes/lib/signing.js\`, and checked against it in every
run). The clicks cycle through $USERS users and each names its own step (\`"s":"S-<click number>"\` in the
button value) with its own \`action_ts\` and \`trigger_id\`, so no click is a duplicate of another by
Slack's rules (same user, same step, same decision): each one is a new job. wrk fills these digits into the
encoded body per request and signs it (\`X-Slack-Request-Timestamp\` = now, \`X-Slack-Signature\` = \`v0=\` +
HMAC-SHA256 with the run's signing secret, OpenSSL through LuaJIT's FFI), so the module and Bolt get the
same kind of request at the same cost to the generator. The bad-signature rows sign the same bodies with a
wrong secret.

Before measuring, the run stops unless: a signed click answers 200 with an empty body and stores exactly one
\`interaction.decide\` job; a bad signature answers 401 (module and Bolt); Bolt answers 200 to the signed click
(${bolt_ack_bytes} bytes); the baseline answers 200 with the module's 401 answer (${module_401_bytes} bytes).

### (a) Acks per second, against Bolt

\`POST /slack-approvals/slack/interactions\` (module) and \`POST /slack/events\` (Bolt), ${DURATION} s per row, after a
warm-up of ${WARMUP} s at 64 connections of each server. The module checks the signature, parses the payload,
stores one \`interaction.decide\` job in PostgreSQL and answers 200 with an empty body; Bolt checks the
signature, parses the payload, runs the listener, whose \`ack()\` answers 200.

| connections | module acks/s | module p50 / p99 | Bolt acks/s | Bolt p50 / p99 | module / Bolt | target | module acks/s, workers parked | p50 / p99 | parked / Bolt |
|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|
$acks_rows
| row | answers | socket errors | jobs stored | jobs queued or running at the row's end | drained after | done / failed | server CPU (httpd, Bolt) | PostgreSQL CPU | fakes CPU | wrk CPU | other processes | machine busy | CPU per answer: server / PostgreSQL | acks/s of (b)'s baseline requests/s |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$bolt_rows
$statements_md
- **The workers run during the module's rows**, with the fakes reachable: each job is a real decision (the
  clicker's \`users.info\` at the fake Slack, the engine user by email and \`POST /decisions\` at the fake
  engine, the clicker told the outcome), on the same $NCPU cores as the acks. The module's rows therefore
  include the work the acks leave behind, up to what the $WORKERS workers manage during the row; *jobs queued or
  running at the row's end* is the backlog they left, *drained after* the time until the queue was empty
  again. The next row starts only after that, so no row, Bolt's included, shares the machine with a backlog.
  The target is judged on these rows.
- **Workers parked**: the same load while every call to the fake Slack and the fake engine answers
  $((PARK_LATENCY_MS / 1000)) s late (an injected latency, below the module's 10 s HTTP timeout), so each of the
  $WORKERS workers holds one job and waits, and the rest stay queued: the acks alone, as Bolt's bare \`ack()\`
  is alone (\`SlackApprovalsWorkers\` cannot be 0). The latency is removed when the row ends, and the queue is
  drained before the next row; no job fails.
- *jobs stored*: \`interaction.decide\` jobs created during the row, checked to be between the 200 answers wrk
  counted and that number plus one per connection (the requests in flight when wrk stopped).
- The clicks' steps are unknown to the fake engine (each click names its own step), so the decisions end in
  its 404 \`step_not_found\`; what the jobs ended as, for all the run's clicks:

| job state | last error | jobs |
|---|---|---:|
$outcomes_md

- Bolt is one Node process, so it can use one core at most: its *Bolt* CPU column near 100 % means it is at
  its limit. For scale: Bolt was measured elsewhere at about 3,500 acks/s on 2 cores.
- *CPU per answer*: the server's CPU time (httpd's child, workers included; or Bolt's process) and
  PostgreSQL's, divided by the answers: what one ack costs, which depends less on what else runs on the
  machine than the rates do. With $NCPU cores, wrk and the other processes taking their share, the rates
  follow from these costs: Bolt is bound by one core, the module by the cores httpd and PostgreSQL share.
- *CPU* columns in % of one core over the row (/proc); *other processes*: what the rest of the machine
  used in the same time (all cores' busy time minus the columns before it; anything well above 0 means
  something else ran and the row is low); *machine busy* in % of all $NCPU cores.

### (b) Bad signatures, against a static file

The same POSTs, signed with a wrong secret, to the module (401 with a JSON error of ${module_401_bytes} bytes), and,
signed correctly, to a static file holding that 401 answer byte for byte, served by httpd's core
\`default-handler\` in the same server (\`<Location /baseline>\`): httpd reads and discards the same body and
sends an answer of the same size.

| connections | what | requests/s | p50 / p99 | non-2xx | socket errors | httpd CPU | wrk CPU | other processes | machine busy | error-log lines | of the baseline | target ≥ 70 % |
|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
$reject_rows
The module reads the whole body before it checks the signature (the HMAC covers it), so both sides read the
same bytes; a refused click stores nothing (checked: no job). *error-log lines*: what the rejections added to
httpd's error log during the row (\`LogLevel warn\`; a refusal logged at \`notice\` would show here, as
httpd writes \`notice\` whatever the \`LogLevel\`).

### Caveats

$busy_note
- Everything runs on one shared $NCPU-core machine: wrk (which also builds and signs every request), httpd,
  PostgreSQL, the fakes and Bolt compete for the same cores. Bolt is one Node process and uses at most one
  core; httpd uses both, minus what wrk takes. That is how each is deployed by default; a Bolt app can be
  run as several processes behind a balancer, which this benchmark does not do.
- PostgreSQL runs with \`fsync=off\`, as in the tests: a job's commit does not wait for a disk. With a durable
  disk every ack also waits for a flush (concurrent commits share one), and the module's acks/s drop; Bolt's
  bare \`ack()\` stores nothing, so it does not.
- httpd closes a keep-alive connection after 100 requests (its default); Node keeps it open: wrk reconnects
  to httpd every 100 requests, never to Bolt.
- Loopback only (127.0.0.1): no network latency, no TLS.
- The body is ${body_bytes} bytes, a little above the 2–3 KB the issue names: Slack echoes the whole message
  with the click, and an approval message with four buttons (each carrying its value) does not fit in 3 KB.
- One run, no repetition: differences of 10–20 % between runs are normal. Raw outputs of the last run (wrk's
  reports, CPU samples, the answers, the job outcomes, the fake Slack's call summary, httpd's error log,
  PostgreSQL's log, Bolt's stderr): \`build/bench/interactions/\`.
<!-- END bench/interactions.sh -->
MD

bench_write_section bench/interactions.sh "$section"
sed -n '/^| target |/,/^$/p' "$section"
