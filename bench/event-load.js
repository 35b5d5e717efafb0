#!/usr/bin/env node
'use strict';
// Load generator for POST /slack-approvals/api/v1/events (bench/dispatch.sh).
//
// Every request is a distinct, valid engine event (DESIGN section 6), signed
// as the engine signs it: X-Approvals-Request-Timestamp and
// X-Approvals-Signature = "v0=" + hex HMAC-SHA256(secret, "v0:" + ts + ":" + body).
// The body is built from a template per request (only the ids and the
// recipients change), so building and signing cost a few microseconds.
//
// Two modes:
//   --duration S   each connection sends requests back to back for S seconds;
//                  then no new request starts, and the ones in flight finish
//                  (so every event the server stored has its answer counted);
//   --count N      N events in all, spread over the connections.
// Connections are keep-alive (a minimal HTTP/1.1 client on net), spread over --threads worker
// threads (each with its own event loop).
//
// Prints one line of JSON (and writes it to --out): statuses, errors,
// latency percentiles, the wall time, the first send time (epoch ms) and the
// CPU time this process used (all threads), so the caller can tell whether the
// generator was the bottleneck.
//
// Node 20, built-in modules only.

const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const cli = require('../t/fakes/lib/cli.js');

const USAGE = `usage: node bench/event-load.js sample
       node bench/event-load.js --url URL (--secret S | --secret-file PATH)
       (--duration SECONDS | --count N) [--connections N] [--threads N]
       [--prefix ID_PREFIX] [--recipients K] [--timeout-ms MS] [--max-seconds S] [--out FILE]`;

function parseArgs(argv) {
  const opts = cli.parseArgs(argv, {
    url: null, secret: null, secretFile: null, duration: null, count: null, connections: '16',
    threads: '1', prefix: `bench-${process.pid}`, recipients: '1', timeoutMs: '30000',
    maxSeconds: '600', out: null,
  });
  const int = (name, min) => {
    const n = Number(opts[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
    return n;
  };
  if (!opts.url) throw new Error('--url is required');
  if (opts.secret === null && !opts.secretFile) throw new Error('--secret or --secret-file is required');
  if ((opts.duration === null) === (opts.count === null)) throw new Error('give exactly one of --duration and --count');
  const secret = opts.secretFile
    ? fs.readFileSync(opts.secretFile, 'utf8').replace(/\r?\n$/, '')   // as the module reads it
    : opts.secret;
  const out = {
    url: new URL(opts.url), secret, connections: int('connections', 1), threads: int('threads', 1),
    prefix: opts.prefix, recipients: int('recipients', 1), timeoutMs: int('timeoutMs', 1),
    maxSeconds: Number(opts.maxSeconds), out: opts.out,
    duration: opts.duration === null ? null : Number(opts.duration),
    count: opts.count === null ? null : int('count', 1),
  };
  if (out.duration !== null && !(out.duration > 0)) throw new Error('--duration must be > 0');
  if (!(out.maxSeconds > 0)) throw new Error('--max-seconds must be > 0');
  if (!/^[A-Za-z0-9._-]+$/.test(out.prefix)) throw new Error('--prefix: letters, digits, . _ - only');
  out.threads = Math.min(out.threads, out.connections);
  return out;
}

// ---------------------------------------------------------------- the event
// The complete approval_requested event of DESIGN section 6 (the one
// t/lib/SAP/Engine.pm sends); event_id, approval.id and the recipients vary.
const ID_MARK = '@@EVENT_ID@@';
const APPROVAL_MARK = '@@APPROVAL_ID@@';
const RECIPIENTS_MARK = '"@@RECIPIENTS@@"';

function person(id, name) {
  return { account_id: id, display_name: name, email: `${name.toLowerCase()}@example.com` };
}

function eventTemplate() {
  const event = {
    event_id: ID_MARK,
    type: 'approval_requested',
    product: 'jira',
    occurred_at: '2026-11-28T10:00:00Z',
    approval: {
      id: APPROVAL_MARK, name: 'Budget sign-off', url: 'https://jira.example.com/browse/FIN-12',
      status: 'pending', definition: { id: 'D-7', name: 'Finance approval' },
      subject: { key: 'FIN-12', title: 'Q3 budget', url: 'https://jira.example.com/browse/FIN-12',
                 container: { key: 'FIN', name: 'Finance' } },
      requester: person('u-1', 'Ada'),
    },
    step: {
      id: 'S-1', name: 'Finance review', kind: 'approval', required: 2, approvers_total: 3,
      comment_required: false, vote: null, due_at: null, outcome: null,
      progress: { approved: 1, rejected: 0, abstained: 0, pending: 2 },
      decisions: [{ by: person('u-2', 'Bo'), on_behalf_of: null, decision: 'approved',
                    comment: 'ok', votes: [], at: '2026-11-28T10:05:00Z' }],
      tally: [],
    },
    recipients: '@@RECIPIENTS@@',
    decision: null,
    reassigned: null,
    options: { actions_without_login: true, action_buttons: true },
  };
  const text = JSON.stringify(event);
  // [before id, between id and approval id, between approval id and recipients, after]
  const a = text.split(ID_MARK);
  const b = a[1].split(APPROVAL_MARK);
  const c = b[1].split(RECIPIENTS_MARK);
  return [a[0], b[0], c[0], c[1]];
}

// Recipient k (0-based, over the whole run): bench-user-00001@example.com …
// bench/dispatch-helper.js defines the same users in the fake Slack.
function recipient(k) {
  const n = String(k + 1).padStart(5, '0');
  return { account_id: `bu-${n}`, email: `bench-user-${n}@example.com`,
           display_name: `Bench User ${n}`, external: false, delegates: [] };
}

// ---------------------------------------------------------------- HTTP/1.1
// A minimal keep-alive HTTP/1.1 client: one request at a time per
// connection, written in one piece; the answer is read by Content-Length or
// chunked encoding. It reconnects when the server says "Connection: close"
// (httpd does so after MaxKeepAliveRequests). Far cheaper per request than
// http.request, so the generator stays well below one core.
class Connection {
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.socket = null;
    this.pending = null;
    this.connects = 0;
  }

  open() {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: this.host, port: this.port });
      socket.setNoDelay(true);
      const failed = (e) => { socket.destroy(); reject(e); };
      socket.once('error', failed);
      socket.once('connect', () => {
        socket.removeListener('error', failed);
        this.connects++;
        this.socket = socket;
        this.buf = null;
        socket.on('data', (chunk) => this.onData(chunk));
        socket.on('error', (e) => this.fail(e));
        socket.on('close', () => {
          if (this.socket === socket) this.socket = null;
          this.fail(new Error('connection closed before the answer'));
        });
        resolve();
      });
    });
  }

  async send(text, timeoutMs) {
    if (!this.socket) await this.open();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`no answer within ${timeoutMs} ms`));
        this.close();
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      this.buf = null;
      this.socket.write(text);
    });
  }

  close() {
    if (this.socket) { const s = this.socket; this.socket = null; s.destroy(); }
  }

  fail(err) {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.reject(err);
  }

  done(status, body, close) {
    const p = this.pending;
    this.pending = null;
    this.buf = null;
    if (close) this.close();
    if (p) { clearTimeout(p.timer); p.resolve({ status, body }); }
  }

  onData(chunk) {
    if (!this.pending) { this.close(); return; }   // nothing was asked: out of step
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    const buf = this.buf;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buf.toString('latin1', 0, end).split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(head[0]);
    if (!m) { this.fail(new Error(`bad status line: ${head[0].slice(0, 80)}`)); this.close(); return; }
    let length = -1;
    let chunked = false;
    let close = m[1] === '0';
    for (let i = 1; i < head.length; i++) {
      const colon = head[i].indexOf(':');
      const name = head[i].slice(0, colon).trim().toLowerCase();
      const value = head[i].slice(colon + 1).trim().toLowerCase();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.includes('chunked');
      else if (name === 'connection') close = value.includes('close') || (m[1] === '0' && !value.includes('keep-alive'));
    }
    const start = end + 4;
    if (chunked) {
      let at = start;
      const parts = [];
      for (;;) {
        const eol = buf.indexOf('\r\n', at);
        if (eol < 0) return;
        const size = parseInt(buf.toString('latin1', at, eol), 16);
        if (size === 0) {
          if (buf.indexOf('\r\n\r\n', eol) < 0 && buf.length < eol + 4) return;
          this.done(Number(m[2]), Buffer.concat(parts).toString('utf8'), close);
          return;
        }
        if (buf.length < eol + 2 + size + 2) return;
        parts.push(buf.subarray(eol + 2, eol + 2 + size));
        at = eol + 2 + size + 2;
      }
    }
    if (length < 0) length = 0;   // no body announced (httpd always sends a length or chunks)
    if (buf.length < start + length) return;
    this.done(Number(m[2]), buf.toString('utf8', start, start + length), close);
  }
}

// ---------------------------------------------------------------- a thread
async function runThread(cfg) {
  const parts = eventTemplate();
  const path = cfg.url.pathname + cfg.url.search;
  const host = cfg.url.host;
  const statuses = {};
  let lat = new Float64Array(cfg.count !== null ? Math.max(cfg.myCount, 1) : 1 << 16);
  let nlat = 0;
  let errors = 0;
  const errorSamples = [];
  const badSamples = [];
  let sent = 0;
  let firstSend = 0;
  let lastDone = 0;
  let seq = 0;                       // this thread's duration-mode counter
  let next = 0;                      // this thread's position in count mode
  let tsSecond = 0;
  let tsText = '';
  const hardStop = Date.now() + cfg.maxSeconds * 1000;
  const stopAt = cfg.duration !== null ? cfg.startAt + cfg.duration * 1000 : Infinity;

  function recordLatency(ms) {
    if (nlat === lat.length) {
      const bigger = new Float64Array(lat.length * 2);
      bigger.set(lat);
      lat = bigger;
    }
    lat[nlat++] = ms;
  }
  // The next event index, or -1 when this connection is done.
  function nextIndex() {
    const now = Date.now();
    if (now >= hardStop) return -1;
    if (cfg.count !== null) {
      if (next >= cfg.myCount) return -1;
      return cfg.thread + cfg.threads * next++;   // global index, striped over threads
    }
    if (now >= stopAt) return -1;
    return seq++;
  }

  function body(index) {
    const id = cfg.count !== null ? `${cfg.prefix}-${index}` : `${cfg.prefix}-${cfg.thread}-${index}`;
    let recipients = '';
    for (let j = 0; j < cfg.recipients; j++) {
      const k = (cfg.count !== null ? index : 0) * cfg.recipients + j;
      recipients += (j ? ',' : '') + JSON.stringify(recipient(cfg.count !== null ? k : j));
    }
    return parts[0] + id + parts[1] + `A-${id}` + parts[2] + `[${recipients}]` + parts[3];
  }

  function post(conn, index) {
    const payload = body(index);
    const nowMs = Date.now();
    const second = Math.floor(nowMs / 1000);
    if (second !== tsSecond) { tsSecond = second; tsText = String(second); }
    const signature = 'v0=' + crypto.createHmac('sha256', cfg.secret)
      .update(`v0:${tsText}:${payload}`).digest('hex');
    return new Promise((resolve) => {
      const t0 = performance.now();
      if (!firstSend) firstSend = Date.now();
      sent++;
      let settled = false;
      const finish = (status, text, err) => {
        if (settled) return;
        settled = true;
        lastDone = Date.now();
        if (err) {
          errors++;
          if (errorSamples.length < 5) errorSamples.push(String(err && err.message || err));
        } else {
          statuses[status] = (statuses[status] || 0) + 1;
          recordLatency(performance.now() - t0);
          if (status !== 202 && badSamples.length < 5) badSamples.push({ status, body: text.slice(0, 300) });
        }
        resolve(!err);
      };
      const head = `POST ${path} HTTP/1.1\r\nHost: ${host}\r\n`
        + 'Content-Type: application/json\r\n'
        + `Content-Length: ${Buffer.byteLength(payload)}\r\n`
        + `X-Approvals-Request-Timestamp: ${tsText}\r\n`
        + `X-Approvals-Signature: ${signature}\r\n\r\n`;
      conn.send(head + payload, cfg.timeoutMs)
        .then((res) => finish(res.status, res.body), (e) => finish(0, '', e));
    });
  }

  const conns = [];
  async function connection() {
    const conn = new Connection(cfg.url.hostname, Number(cfg.url.port) || 80);
    conns.push(conn);
    for (;;) {
      const index = nextIndex();
      if (index < 0) break;
      const ok = await post(conn, index);
      // a refused connection would otherwise spin: back off a little
      if (!ok) await new Promise((r) => setTimeout(r, 50));
    }
    conn.close();
  }

  // wait for the common start time, so every thread starts together
  const wait = cfg.startAt - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await Promise.all(Array.from({ length: cfg.connections }, connection));
  const connects = conns.reduce((n, c) => n + c.connects, 0);
  return { connects, statuses, errors, errorSamples, badSamples, sent, firstSend, lastDone,
           latencies: lat.slice(0, nlat) };
}

// ---------------------------------------------------------------- main
function percentile(sorted, p) {
  if (!sorted.length) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1));
  return Math.round(sorted[i] * 100) / 100;
}

async function main() {
  // `node bench/event-load.js sample`: the body of one event (for pgbench's row)
  if (process.argv[2] === 'sample') {
    const parts = eventTemplate();
    process.stdout.write(parts[0] + 'sample-0' + parts[1] + 'A-sample-0' + parts[2]
                         + `[${JSON.stringify(recipient(0))}]` + parts[3] + '\n');
    return;
  }
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`event-load: ${e.message}\n${USAGE}\n`);
    process.exit(2);
  }
  const startAt = Date.now() + 200;   // threads start together, after they have loaded
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const jobs = [];
  for (let t = 0; t < opts.threads; t++) {
    const connections = Math.floor(opts.connections / opts.threads) + (t < opts.connections % opts.threads ? 1 : 0);
    const myCount = opts.count === null ? null
      : Math.floor(opts.count / opts.threads) + (t < opts.count % opts.threads ? 1 : 0);
    const cfg = {
      url: opts.url.href, secret: opts.secret, connections, thread: t, threads: opts.threads,
      prefix: opts.prefix, recipients: opts.recipients, timeoutMs: opts.timeoutMs,
      maxSeconds: opts.maxSeconds, duration: opts.duration, count: opts.count, myCount, startAt,
    };
    jobs.push(new Promise((resolve, reject) => {
      const worker = new Worker(__filename, { workerData: cfg });
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => { if (code) reject(new Error(`thread ${t} exited with ${code}`)); });
    }));
  }
  const parts = await Promise.all(jobs);
  const wall = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);

  const statuses = {};
  let errors = 0;
  let sent = 0;
  let connects = 0;
  let firstSend = Infinity;
  let lastDone = 0;
  const errorSamples = [];
  const badSamples = [];
  let total = 0;
  for (const p of parts) total += p.latencies.length;
  const all = new Float64Array(total);
  let at = 0;
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.statuses)) statuses[k] = (statuses[k] || 0) + v;
    errors += p.errors;
    sent += p.sent;
    connects += p.connects;
    if (p.firstSend && p.firstSend < firstSend) firstSend = p.firstSend;
    if (p.lastDone > lastDone) lastDone = p.lastDone;
    errorSamples.push(...p.errorSamples);
    badSamples.push(...p.badSamples);
    all.set(p.latencies, at);
    at += p.latencies.length;
  }
  all.sort();
  const answered = all.length;
  const elapsed = firstSend < Infinity && lastDone > firstSend ? (lastDone - firstSend) / 1000 : 0;
  const accepted = statuses[202] || 0;
  const result = {
    mode: opts.count !== null ? 'count' : 'duration',
    connections: opts.connections,
    threads: opts.threads,
    prefix: opts.prefix,
    recipients_per_event: opts.recipients,
    sent,
    answered,
    accepted_202: accepted,
    duplicate_200: statuses[200] || 0,
    statuses,
    errors,
    connects,
    elapsed_s: Math.round(elapsed * 1000) / 1000,
    accepted_per_s: elapsed > 0 ? Math.round(accepted / elapsed) : 0,
    answered_per_s: elapsed > 0 ? Math.round(answered / elapsed) : 0,
    latency_ms: { p50: percentile(all, 50), p90: percentile(all, 90), p99: percentile(all, 99),
                  max: percentile(all, 100) },
    first_send_epoch_ms: firstSend < Infinity ? Math.round(firstSend) : null,
    last_answer_epoch_ms: lastDone ? Math.round(lastDone) : null,
    cpu_s: Math.round((cpu.user + cpu.system) / 1000) / 1000,
    cpu_pct_of_one_core: wall > 0 ? Math.round((cpu.user + cpu.system) / 1e4 / wall) : 0,
    wall_s: Math.round(wall * 1000) / 1000,
    error_samples: errorSamples,
    bad_samples: badSamples,
  };
  const line = JSON.stringify(result);
  if (opts.out) fs.writeFileSync(opts.out, line + '\n');
  process.stdout.write(line + '\n');
}

if (isMainThread) {
  main().catch((e) => { process.stderr.write(`event-load: ${e.stack || e}\n`); process.exit(1); });
} else {
  runThread({ ...workerData, url: new URL(workerData.url) })
    .then((r) => parentPort.postMessage(r, [r.latencies.buffer]))
    .catch((e) => { process.stderr.write(`event-load thread: ${e.stack || e}\n`); process.exit(1); });
}
