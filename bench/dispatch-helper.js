#!/usr/bin/env node
'use strict';
// Helpers of bench/dispatch.sh that talk to the fake Slack's control API
// (t/fakes/README.md). Node 20, built-in modules only.
//
//   node bench/dispatch-helper.js users --slack URL --team T --count N
//       defines N Slack users in team T, with the emails bench/event-load.js
//       gives its recipients (bench-user-00001@example.com, …)
//   node bench/dispatch-helper.js calls --slack URL [--since-seq N] [--out FILE]
//       summarizes the recorded Web API calls (seq > N): per method how many,
//       how many answered ok:true, the slowest; the most calls in flight at
//       once; the span from the first call's arrival to the last answer.
//       Prints one line of JSON.

const fs = require('fs');
const http = require('http');

const { parseArgs } = require('./args');

function control(base, method, path, json) {
  const url = new URL(`/_control/${path}`, base);
  const body = json === undefined ? null : Buffer.from(JSON.stringify(json));
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method,
      headers: body ? { 'Content-Type': 'application/json', 'Content-Length': body.length } : {},
      timeout: 60000,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode < 200 || res.statusCode > 299) {
          reject(new Error(`${method} ${path}: HTTP ${res.statusCode} ${text.slice(0, 300)}`));
          return;
        }
        try { resolve(JSON.parse(text)); } catch (e) { reject(new Error(`${path}: not JSON: ${text.slice(0, 200)}`)); }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer`)));
    req.on('error', reject);
    req.end(body);
  });
}

// The same numbering as recipient() in bench/event-load.js.
function user(k, team) {
  const n = String(k + 1).padStart(5, '0');
  return { id: `UB${n}`, team_id: team, email: `bench-user-${n}@example.com`, name: `bench.user.${n}`,
           real_name: `Bench User ${n}`, display_name: `Bench User ${n}` };
}

async function users(argv) {
  const o = parseArgs(argv, { slack: null, team: null, count: null });
  const count = Number(o.count);
  if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a positive integer');
  const list = [];
  for (let k = 0; k < count; k++) list.push(user(k, o.team));
  await control(o.slack, 'POST', 'users', list);
  const state = await control(o.slack, 'GET', 'state');
  const defined = (state.users || []).filter((u) => /^bench-user-\d+@example\.com$/.test(
    (u.profile && u.profile.email) || u.email || '')).length;
  process.stdout.write(JSON.stringify({ defined: count, in_state: defined }) + '\n');
}

async function calls(argv) {
  const o = parseArgs(argv, { slack: null, sinceSeq: '0', out: '' });
  const since = Number(o.sinceSeq);
  const all = (await control(o.slack, 'GET', 'calls')).calls || [];
  const list = all.filter((c) => c.seq > since && c.path && c.path.startsWith('/api/'));
  const methods = {};
  const edges = [];
  let first = Infinity;
  let last = 0;
  for (const c of list) {
    const m = methods[c.method] || (methods[c.method] = { calls: 0, ok: 0, not_ok: 0, errors: {}, max_ms: 0 });
    m.calls++;
    const body = c.response && c.response.body;
    if (body && body.ok === true) m.ok++;
    else {
      m.not_ok++;
      const e = (body && body.error) || `http_${c.response ? c.response.status : 'none'}`;
      m.errors[e] = (m.errors[e] || 0) + 1;
    }
    const d = c.duration_ms || 0;
    if (d > m.max_ms) m.max_ms = d;
    edges.push([c.time_ms, 1], [c.time_ms + d, -1]);
    if (c.time_ms < first) first = c.time_ms;
    if (c.time_ms + d > last) last = c.time_ms + d;
  }
  // the most calls in flight at once (an answer at t ends before a call at t starts)
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, step] of edges) { now += step; if (now > peak) peak = now; }
  const result = {
    recorded: all.length,
    counted: list.length,
    last_seq: all.length ? all[all.length - 1].seq : since,
    methods,
    max_in_flight: peak,
    first_call_epoch_ms: list.length ? first : null,
    last_answer_epoch_ms: list.length ? last : null,
  };
  const line = JSON.stringify(result);
  if (o.out) fs.writeFileSync(o.out, line + '\n');
  process.stdout.write(line + '\n');
}

const commands = { users, calls };
const [command, ...rest] = process.argv.slice(2);
if (!commands[command]) {
  process.stderr.write('usage: node bench/dispatch-helper.js users|calls --slack URL …\n');
  process.exit(2);
}
commands[command](rest).catch((e) => {
  process.stderr.write(`dispatch-helper ${command}: ${e.message}\n`);
  process.exit(1);
});
