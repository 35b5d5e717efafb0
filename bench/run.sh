#!/bin/bash
# make bench: the benchmarks of bench/README.md, side by side in one run.
# Installs what is missing (scripts/install-deps.sh, plus wrk), builds the
# module, starts its own PostgreSQL, the fakes and one httpd with the module
# (everything on 127.0.0.1, on free ports), measures, stops everything it
# started, and rewrites its own section of docs/benchmarks.md.
# Raw outputs of the last run are kept in build/bench/.
#
# Every load is loopback only, bounded (wrk -d 10s) and stops by itself.
# A run takes about 1.5 minutes once the packages are installed.
set -euo pipefail

SAP_TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$SAP_TOP"

# One benchmark at a time on a machine: two would measure each other.
exec 9>"${TMPDIR:-/tmp}/mod_slack_approvals-bench.lock"
flock 9

# --- settings (the numbers docs/benchmarks.md describes) ------------------
WRK_THREADS=2
WRK_CONNECTIONS=32
WRK_DURATION=10s
WORKERS=4                # SlackApprovalsWorkers
JOBS=5000                # queue.probe jobs enqueued in one statement
JOBS_TIMEOUT=120         # seconds: the queue measurement gives up after this
RAW_ROWS=5000
# Slack's own url_verification example (api.slack.com/events/url_verification)
BODY='{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}'

# shellcheck source=bench/lib.sh
. bench/lib.sh

# --- dependencies and build -------------------------------------------------
bash scripts/install-deps.sh
bench_install_wrk
make -s module > "${TMPDIR:-/tmp}/sap-bench-build.log" 2>&1 \
  || { cat "${TMPDIR:-/tmp}/sap-bench-build.log" >&2; exit 1; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
OUT="$SAP_TOP/build/bench"          # raw outputs of the last run (git-ignored)
rm -rf "$OUT"; mkdir -p "$OUT"

bench_runtime_init bench

# --- PostgreSQL (migrated by sap_env_start) and the fakes --------------------
pg_port=$(sap_free_port)
log "starting PostgreSQL on 127.0.0.1:$pg_port and the fakes"
sap_env_start "$SAP_RUN_DIR/pg" "$pg_port"
psql_db() { psql "$SAP_TEST_DBPARAMS" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# --- httpd with the module ---------------------------------------------------
# bench_httpd_conf (bench/lib.sh) with the event MPM's defaults (no
# StartServers) and a static baseline.
http_port=$(sap_free_port)
mkdir -p "$HTTPD_DIR/logs" "$HTTPD_DIR/htdocs/baseline"
chmod -R 0755 "$HTTPD_DIR"
{
  bench_httpd_conf "$http_port"
  cat <<CONF
# The baseline: core's default handler sends a static file (POST is allowed;
# the request body is read and discarded).
<Location /baseline>
    SetHandler default-handler
</Location>
CONF
} > "$HTTPD_DIR/httpd.conf"
bench_httpd_start "$http_port"
BASE="http://127.0.0.1:$http_port"
bench_wait_healthy "$BASE/slack-approvals/healthz"

# CPU time from /proc/stat: "steal total" and "idle+iowait total" jiffies.
# steal_pct BEFORE AFTER prints the share the hypervisor gave to other guests.
cpu_jiffies() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t }' /proc/stat; }
cpu_jiffies_idle() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print $5 + $6, t }' /proc/stat; }
steal_pct() {
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " ")
    printf "%.0f%%\n", (y[2] > x[2]) ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 0 }'
}

# --- memory: VmRSS of the child processes ------------------------------------
# Prints "children total_mib min_mib max_mib" (kB from /proc/PID/status).
children_rss() {
  local pid rss list=""
  for pid in $(ps --ppid "$httpd_pid" -o pid= 2>/dev/null); do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$rss" ] && list="$list $rss"
  done
  echo "$list" | awk '{ n = NF; t = 0; mn = 0; mx = 0
    for (i = 1; i <= NF; i++) { t += $i; if (mn == 0 || $i < mn) mn = $i; if ($i > mx) mx = $i }
    printf "%d %.1f %.1f %.1f\n", n, t / 1024, mn / 1024, mx / 1024 }'
}
parent_rss() { awk '/^VmRSS:/ {printf "%.1f\n", $2 / 1024}' "/proc/$httpd_pid/status"; }
# Workers and DB connections start in child_init: give them a moment, and
# meanwhile see how busy the machine is without any load of ours.
idle_before=$(cpu_jiffies_idle)
sleep 2
busy_before=$(awk -v a="$idle_before" -v b="$(cpu_jiffies_idle)" 'BEGIN { split(a, x, " "); split(b, y, " ")
  printf "%.0f%%\n", (y[2] > x[2]) ? 100 - 100 * (y[1] - x[1]) / (y[2] - x[2]) : 0 }')
read -r mem_before_n mem_before_total mem_before_min mem_before_max <<< "$(children_rss)"
mem_parent=$(parent_rss)
log "children before: $mem_before_n, RSS $mem_before_total MiB in total"

# --- 1. verified webhook acks, the static baseline, bad signatures -----------
secret=$(cat "$SAP_TEST_SECRETS/signing_secret")   # $(…) drops the newline, as the module does
ts=$(date +%s)
sig="v0=$(printf 'v0:%s:%s' "$ts" "$BODY" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)"
bad_sig="v0=$(printf '%064d' 0)"

# wrk script: the same POST for every case; only the path and the signature differ.
wrk_script() {   # wrk_script FILE SIGNATURE
  cat > "$1" <<LUA
wrk.method = "POST"
wrk.body = [[$BODY]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Slack-Request-Timestamp"] = "$ts"
wrk.headers["X-Slack-Signature"] = "$2"
LUA
}
wrk_script "$SAP_RUN_DIR/signed.lua" "$sig"
wrk_script "$SAP_RUN_DIR/bad.lua" "$bad_sig"

curl_post() {    # curl_post PATH SIGNATURE OUTFILE -> prints the status
  curl -sS -o "$3" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
       -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $2" --data-binary "$BODY" "$BASE$1"
}
EVENTS=/slack-approvals/slack/events
code=$(curl_post "$EVENTS" "$sig" "$OUT/signed.answer")
[ "$code" = 200 ] && grep -q '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' "$OUT/signed.answer" \
  || die "signed url_verification answered $code: $(cat "$OUT/signed.answer")"
# The baseline file has the module's answer, byte for byte (same size, same type).
cp "$OUT/signed.answer" "$HTTPD_DIR/htdocs/baseline/answer.json"
chmod 0644 "$HTTPD_DIR/htdocs/baseline/answer.json"
answer_bytes=$(stat -c %s "$OUT/signed.answer")
code=$(curl_post /baseline/answer.json "$sig" "$OUT/baseline.answer")
[ "$code" = 200 ] && cmp -s "$OUT/signed.answer" "$OUT/baseline.answer" || die "baseline answered $code"
code=$(curl_post "$EVENTS" "$bad_sig" "$OUT/bad.answer")
[ "$code" = 401 ] || die "bad signature answered $code, not 401"
code=$(curl -sS -o "$OUT/healthz.answer" -w '%{http_code}' "$BASE/slack-approvals/healthz")
[ "$code" = 200 ] || die "healthz answered $code"

run_wrk() {      # run_wrk NAME URL [LUA]
  local name=$1 url=$2 lua=${3:-} before
  log "wrk: $name (${WRK_THREADS} threads x ${WRK_CONNECTIONS} connections x $WRK_DURATION)"
  before=$(cpu_jiffies)
  wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "$WRK_DURATION" --timeout 5s --latency \
      ${lua:+-s "$lua"} "$url" > "$OUT/wrk-$name.txt" 2>&1 || die "wrk $name failed: $(cat "$OUT/wrk-$name.txt")"
  steal_pct "$before" "$(cpu_jiffies)" > "$OUT/steal-$name.txt"
  # wrk catches SIGINT, prints a short run's results and exits 0, and bash then
  # carries on: a run that stopped early must not be published.
  awk -v want="${WRK_DURATION%s}" '/ requests in / { d = $4; sub(/s,$/, "", d); ok = (d + 0 >= want * 0.9) }
      END { exit !ok }' "$OUT/wrk-$name.txt" || die "wrk $name stopped early (interrupted?): $(grep ' requests in ' "$OUT/wrk-$name.txt")"
}
# Warm-up at the measured concurrency, so that no measured run pays for what
# happens once: the event MPM starting more children, mod_dbd opening (and
# preparing every statement on) the connections of its pools.
log "warm-up (not measured)"
jiffies_start=$(cpu_jiffies)
wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d 3s -s "$SAP_RUN_DIR/signed.lua" "$BASE$EVENTS" \
    > "$OUT/wrk-warmup-signed.txt" 2>&1 || true
wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d 3s "$BASE/slack-approvals/healthz" \
    > "$OUT/wrk-warmup-healthz.txt" 2>&1 || true
run_wrk signed   "$BASE$EVENTS"                "$SAP_RUN_DIR/signed.lua"
run_wrk baseline "$BASE/baseline/answer.json"  "$SAP_RUN_DIR/signed.lua"
log_lines_before=$(wc -l < "$HTTPD_DIR/logs/error_log")
run_wrk badsig   "$BASE$EVENTS"                "$SAP_RUN_DIR/bad.lua"
badsig_log_lines=$(( $(wc -l < "$HTTPD_DIR/logs/error_log") - log_lines_before ))
# --- 3. healthz --------------------------------------------------------------
run_wrk healthz  "$BASE/slack-approvals/healthz"

read -r signed_rps signed_p50 signed_p99 _ signed_non2xx signed_err <<< "$(wrk_fields "$OUT/wrk-signed.txt")"
read -r base_rps base_p50 base_p99 _ base_non2xx base_err <<< "$(wrk_fields "$OUT/wrk-baseline.txt")"
read -r bad_rps bad_p50 bad_p99 bad_reqs bad_non2xx bad_err <<< "$(wrk_fields "$OUT/wrk-badsig.txt")"
read -r hz_rps hz_p50 hz_p99 _ hz_non2xx hz_err <<< "$(wrk_fields "$OUT/wrk-healthz.txt")"

# --- 2. the job queue ----------------------------------------------------------
log "queue: $JOBS queue.probe jobs in one statement"
first_probe=$(psql_db -c "SELECT coalesce(max(id), 0) + 1 FROM sap_queue_probes")
t0=$(date +%s%N)
psql_db -c "WITH probe AS (INSERT INTO sap_queue_probes (requested_by) \
  SELECT 'bench' FROM generate_series(1, $JOBS) RETURNING id) \
  INSERT INTO sap_jobs (kind, payload) SELECT 'queue.probe', jsonb_build_object('probe_id', id) FROM probe" >/dev/null
deadline=$(( $(date +%s) + JOBS_TIMEOUT ))
done_count=0
while :; do
  done_count=$(psql_db -c "SELECT count(*) FROM sap_jobs WHERE kind = 'queue.probe' AND state = 'done' \
                          AND (payload->>'probe_id')::bigint >= $first_probe")
  [ "$done_count" -ge "$JOBS" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || die "queue: only $done_count of $JOBS jobs done after ${JOBS_TIMEOUT}s"
  sleep 0.1
done
t1=$(date +%s%N)
q_wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
q_rate=$(awk -v n="$JOBS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / ((b - a) / 1e9) }')
# From the database's own clocks: first probe run -> last job finished (the
# drain rate, without the wait for the poller and the 100 ms polling).
IFS='|' read -r q_owners q_once q_drain q_first_run <<< "$(psql_db -c "
  SELECT count(DISTINCT p.ran_by), count(*) FILTER (WHERE p.runs = 1),
         round(extract(epoch FROM max(j.finished_at) - min(p.ran_at))::numeric, 3),
         round(extract(epoch FROM min(p.ran_at) - min(j.created_at))::numeric, 3)
  FROM sap_queue_probes p JOIN sap_jobs j ON (j.payload->>'probe_id')::bigint = p.id
  WHERE p.id >= $first_probe")"
[ "$q_once" = "$JOBS" ] || die "queue: $q_once of $JOBS probes ran exactly once"
q_drain_rate=$(awk -v n="$JOBS" -v s="$q_drain" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
q_children=$(ps --ppid "$httpd_pid" -o pid= | wc -l)

log "raw inserts: $RAW_ROWS rows"
psql_db -c "CREATE TABLE sap_bench_raw (v bigint)" >/dev/null
raw_bulk_ms=$(psql_db <<SQL | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
\timing on
INSERT INTO sap_bench_raw (v) SELECT g FROM generate_series(1, $RAW_ROWS) g;
SQL
)
seq 1 "$RAW_ROWS" | sed 's/.*/INSERT INTO sap_bench_raw (v) VALUES (&);/' > "$SAP_RUN_DIR/raw.sql"
t0=$(date +%s%N)
psql_db -f "$SAP_RUN_DIR/raw.sql" >/dev/null
t1=$(date +%s%N)
psql_db -c "DROP TABLE sap_bench_raw" >/dev/null
raw_bulk_rate=$(awk -v n="$RAW_ROWS" -v ms="$raw_bulk_ms" 'BEGIN { printf "%.0f", n / (ms / 1000) }')
raw_single_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
raw_single_rate=$(awk -v n="$RAW_ROWS" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / ((b - a) / 1e9) }')

steal_all=$(steal_pct "$jiffies_start" "$(cpu_jiffies)")

# --- 4. memory after ------------------------------------------------------------
read -r mem_after_n mem_after_total mem_after_min mem_after_max <<< "$(children_rss)"
mem_parent_after=$(parent_rss)

# --- sanity: the numbers are only worth publishing if every answer was right -----
# Socket errors are reported, not fatal: the event MPM closes idle keep-alive
# connections when all the workers of a child are busy, and wrk counts a
# request it had just sent on such a connection as a read error.
[ "$signed_non2xx" = 0 ] || die "signed run: $signed_non2xx non-2xx answers (see $OUT/wrk-signed.txt)"
[ "$base_non2xx" = 0 ] || die "baseline run: $base_non2xx non-2xx answers (see $OUT/wrk-baseline.txt)"
[ "$hz_non2xx" = 0 ] || die "healthz run: $hz_non2xx non-2xx answers (see $OUT/wrk-healthz.txt)"
[ "$bad_non2xx" = "$bad_reqs" ] || die "bad-signature run: $bad_non2xx of $bad_reqs answers were not 2xx (all should be 401)"
for name in signed baseline badsig healthz; do
  grep -q '^Requests/sec:' "$OUT/wrk-$name.txt" || die "no result in $OUT/wrk-$name.txt"
done

# --- docs/benchmarks.md -----------------------------------------------------------
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f%%", 100 * a / b }'; }
bench_machine_facts

section="$SAP_RUN_DIR/section.md"
cat > "$section" <<MD
<!-- BEGIN bench/run.sh: generated by \`bash bench/run.sh\` (make bench); edits here are overwritten -->
## Webhook acks, job queue, healthz, memory

Measured $(date -u '+%Y-%m-%d %H:%M UTC') with \`bash bench/run.sh\` (or \`make bench\`).

| machine | |
|---|---|
| CPU | $(nproc) cores (\`nproc\`), ${cpu_model:-unknown} |
| memory | ${mem_total} MiB (\`free -m\`) |
| load before the run | load average $load_before; CPU busy $busy_before over 2 s with our httpd idle |
| CPU steal during the measurements | $steal_all of all CPU time went to other guests of the host (\`steal\` in /proc/stat) |
| kernel | $(uname -r) |
| httpd | $httpd_version, event MPM with its default settings, \`SlackApprovalsWorkers $WORKERS\`, \`LogLevel warn\` |
| PostgreSQL | $pg_version, \`fsync=off\` (scripts/pg.sh), same machine |
| load generator | ${wrk_version:-wrk}, same machine, ${WRK_THREADS} threads x ${WRK_CONNECTIONS} connections x ${WRK_DURATION} per row, keep-alive |

### HTTP

| what | requests/s | p50 | p99 | non-2xx | socket errors | CPU steal | compared with |
|---|---:|---:|---:|---:|---:|---:|---|
| 1a. signed \`url_verification\`, \`POST /slack/events\` → 200 | $signed_rps | $signed_p50 | $signed_p99 | $signed_non2xx | $signed_err | $(cat "$OUT/steal-signed.txt") | $(pct "$signed_rps" "$base_rps") of 1b |
| 1b. baseline: the same POST to a static file (core \`default-handler\`) → 200 | $base_rps | $base_p50 | $base_p99 | $base_non2xx | $base_err | $(cat "$OUT/steal-baseline.txt") | (the reference) |
| 1c. bad signature, \`POST /slack/events\` → 401 | $bad_rps | $bad_p50 | $bad_p99 | $bad_non2xx (all 401) | $bad_err | $(cat "$OUT/steal-badsig.txt") | $(pct "$bad_rps" "$base_rps") of 1b |
| 3. \`GET /healthz\` → 200 (database round trips) | $hz_rps | $hz_p50 | $hz_p99 | $hz_non2xx | $hz_err | $(cat "$OUT/steal-healthz.txt") | $(pct "$hz_rps" "$base_rps") of 1b |

### Job queue

| what | jobs/s | time | notes |
|---|---:|---:|---|
| 2a. $JOBS \`queue.probe\` jobs, enqueue → all \`done\` (wall clock, polled every 100 ms) | $q_rate | ${q_wall} s | $q_owners distinct lease owners ($q_children child processes x $WORKERS workers); every probe ran exactly once |
| 2b. the same jobs, first probe run → last job finished (database clocks) | $q_drain_rate | ${q_drain} s | the first job ran ${q_first_run} s after the enqueue (the poller wakes once a second) |
| 2c. raw: $RAW_ROWS rows in one \`INSERT … SELECT generate_series\` into a one-column table | $raw_bulk_rate | ${raw_bulk_ms} ms | the database's ceiling for writing rows |
| 2d. raw: $RAW_ROWS single-row \`INSERT\`s, one transaction each, one connection (psql) | $raw_single_rate | ${raw_single_s} s | the cost of a commit round trip |

### Memory (VmRSS from /proc/PID/status)

| when | child processes | RSS, all children | per child (min–max) | parent |
|---|---:|---:|---:|---:|
| after start-up, before any load | $mem_before_n | $mem_before_total MiB | $mem_before_min–$mem_before_max MiB | $mem_parent MiB |
| after all the runs above | $mem_after_n | $mem_after_total MiB | $mem_after_min–$mem_after_max MiB | $mem_parent_after MiB |

### What each row measures

The runs go in this order: memory, a warm-up that is not measured (3 s of 1a and 3 s of 3 at the same
concurrency, so that no measured run pays for the event MPM starting children or for mod_dbd opening
its connections), 1a, 1b, 1c, 3, then the queue (2a–2d) with no HTTP load, then memory again.

- **1a** is what Slack's Events API costs the module: wrk POSTs the ${#BODY}-byte
  \`url_verification\` body of Slack's documentation, signed once with \`openssl dgst -sha256 -hmac\` and
  the run's signing secret (the timestamp is the start of the run, inside the 5-minute window). The
  module reads the body, checks the v0 HMAC-SHA256, parses the JSON and answers the challenge
  (${answer_bytes} bytes of JSON). No database work: this request type stores nothing yet.
- **1b** is the same request (same body and headers, so httpd reads and discards the same bytes) sent
  to a static file that holds the module's answer byte for byte, served by httpd's core
  \`default-handler\` in the same server. It is what httpd itself costs for a request that does next
  to nothing. A static file is not free (httpd stats, opens and maps it for every request), so a handler
  that answers from memory, as the module does, can land a little above or below it: anything within
  about ten percent means the module's own work (HMAC, JSON) is lost in httpd's per-request cost.
- **1c** is 1a with a wrong signature: the cost of turning away a forged request (the HMAC is still
  computed; the 401 carries a JSON error). The module logs each refusal at \`notice\`, and httpd writes
  \`notice\` messages whatever the \`LogLevel\` is, so this row includes the error log: the run added
  $badsig_log_lines lines to it (one per refused request).
- **2a/2b**: \`$JOBS\` probe rows and their jobs are written in one SQL statement (as \`t/workers.t\` does),
  with no push to the workers, so the first job waits for a poller (at most 1 s). Each job is a
  claim (\`UPDATE … FOR UPDATE SKIP LOCKED\`), the probe's own \`UPDATE\`, and the finish \`UPDATE\`:
  three transactions. 2a is what a user would see; 2b is the drain rate once the workers have started.
  2c and 2d show what the same PostgreSQL does with plain inserts, in bulk and one commit at a time.
- **3** \`/healthz\` acquires a mod_dbd connection and runs two queries (the schema version, the
  queue counts): the price of a request that makes two database round trips, with PostgreSQL on the
  same two cores.
- **Memory**: the event MPM starts 3 children and adds more under load when fewer than 75 threads are
  idle (\`MinSpareThreads\`), so the number of children grows during the run; compare the per-child
  numbers too. The "before" line is taken 2 s after start-up, before the warm-up. Each child holds
  its $WORKERS worker threads, the HTTP client and its mod_dbd connections.

### Caveats

- Everything runs on one shared $(nproc)-core machine: wrk, httpd, PostgreSQL and the fakes compete for
  the same CPUs, so the absolute numbers are lower than on a dedicated server, and another job on
  the machine (a test run, a build) lowers them too (see "load before the run" above). wrk alone takes
  most of one core, so the HTTP rows measure the machine about as much as the module. On a virtual
  machine the hypervisor can also take CPU time away: the "CPU steal" column shows how much it took
  during each row; rows with very different steal do not compare well. The ratios between rows of
  the same run are the meaningful part; absolute numbers vary by 10–20 % between runs.
- Loopback only (127.0.0.1): no network latency, no TLS. In production TLS is usually terminated in
  front of or by this httpd and costs more than the module's HMAC.
- PostgreSQL runs with \`fsync=off\`, as in the tests: commits do not wait for the disk, so the queue and
  the raw inserts are faster than on a durable database.
- Keep-alive with httpd's default \`MaxKeepAliveRequests 100\`: wrk reconnects every 100 requests, the
  same for every row.
- A few socket errors (reads) can appear in the rows that keep httpd's threads busy, /healthz most of
  all. They are not failed answers: no request got an error status and httpd logged nothing. Most
  likely they come from the event MPM, which closes idle keep-alive connections when all the workers
  of a child are busy, and wrk counts a request it had just sent on such a connection as a read
  error. A run stops without writing this page if a row has a wrong status, not on socket errors.
- One run, no repetition: run it again before reading anything into a difference of a few percent.
  The raw wrk outputs of the last run are in \`build/bench/\`.
<!-- END bench/run.sh -->
MD

bench_write_section bench/run.sh "$section"
sed -n '/^### HTTP/,/^### What each row/p' "$section" | sed '$d'
