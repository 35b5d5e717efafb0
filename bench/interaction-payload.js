#!/usr/bin/env node
'use strict';
// Slack block_actions bodies for bench/interactions.sh: a click on the Approve
// button of an approval message, as Slack sends it to the interactivity URL
// (t/fakes/README.md, shared/reference/slack-notes.md "Interactivity").
//
// The body is encoded by the fakes' own encoder (t/fakes/lib/signing.js:
// `payload=` + PHP-style urlencode of the JSON with "/" written "\/"), so it is
// byte for byte what Slack sends. The parts that change from one click to the
// next are fixed-width runs of digits (the clicking user, a click number, the
// action's timestamp). Letters, digits and "." are left as they are by the
// encoding, so the encoded body is a template with holes that the load
// generator (bench/interactions.lua) fills per request without re-encoding,
// then signs; the result is still Slack's exact encoding (`check` proves it).
//
//   node bench/interaction-payload.js template --team T --response-base URL --out FILE.lua
//       writes the encoded body as a Lua table: the literal parts and, between
//       them, the names of the holes (user, n, ts, us)
//   node bench/interaction-payload.js sample --team T --response-base URL
//       [--user K] [--n N] [--ts EPOCH] [--us MICROS] [--secret-file PATH]
//       prints the encoded body of one click (no newline); with --secret-file,
//       writes its two signature headers to stderr as "timestamp signature"
//   node bench/interaction-payload.js check --team T --response-base URL
//       fills the template with a few values in the generator's way and compares
//       each with the fakes' encoding of the same payload; exits 1 on a difference
//
// The holes: user = the clicking user's number (5 digits, user UB00001 … as
// bench/dispatch-helper.js defines them in the fake Slack); n = the click
// number (9 digits; each click names its own approval and step, A-n / S-n, so
// no two clicks are duplicates of each other by Slack's rules: same user,
// same step, same decision); ts and us = the action_ts, seconds and microseconds.
//
// Node 20, built-in modules only.

const fs = require('fs');
const signing = require('../t/fakes/lib/signing.js');

const WIDTH = { user: 5, n: 8, ts: 10, us: 6 };
const MARK = (name) => `ZQ${name.toUpperCase()}QZ`;   // letters only: the encoding keeps them as they are

const { parseArgs } = require('./args');

// The payload of one click; v holds the holes' values (strings).
function payload(o, v) {
  const team = o.team;
  const userId = `UB${v.user}`;
  const userName = `bench.user.${v.user}`;
  const approval = 'A-1001';
  const step = `S-${v.n}`;
  const value = () => JSON.stringify({ v: 1, p: 'jira', a: approval, s: step });
  const messageTs = '1764500000.000100';
  const channel = 'C0BENCH001';
  const botUser = 'U0BENCHBOT';
  const text = (t) => ({ type: 'plain_text', text: t, emoji: true });
  const blocks = [
    { type: 'header', block_id: 'sap_header', text: text('Approval needed') },
    {
      type: 'section', block_id: 'sap_summary',
      text: { type: 'mrkdwn', text: '*12 laptops*\nFinance review' },
    },
    {
      type: 'context', block_id: 'sap_context',
      elements: [{ type: 'mrkdwn', text: 'By Dana Reyes' }],
    },
    {
      type: 'actions', block_id: 'sap_actions',
      elements: [
        { type: 'button', action_id: 'sap_approve', text: text('Approve'), style: 'primary', value: value() },
        { type: 'button', action_id: 'sap_reject', text: text('Reject'), style: 'danger', value: value() },
        { type: 'button', action_id: 'sap_abstain', text: text('Abstain'), value: value() },
        { type: 'button', action_id: 'sap_view', text: text('View'), url: `https://jira.example.com/browse/${approval}` },
      ],
    },
  ];
  return {
    type: 'block_actions',
    user: { id: userId, username: userName, name: userName, team_id: team },
    api_app_id: 'A0FAKEAPP01',
    token: 'fakeVerificationToken123',
    container: { type: 'message', message_ts: messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: `${v.ts}.${v.n}.${v.us}0f1e2d3c4b5a`,
    team: { id: team, domain: 'bench-co' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: channel, name: 'approvals' },
    message: {
      bot_id: 'B0BENCHBOT', type: 'message', text: 'Approval needed: 12 laptops',
      user: botUser, ts: messageTs, team, blocks,
    },
    state: { values: {} },
    response_url: `${o.responseBase}/actions/${team}/${v.n}/aBcDeFgHiJkL`,
    actions: [{
      action_id: 'sap_approve', block_id: 'sap_actions', text: text('Approve'), value: value(),
      type: 'button', style: 'primary', action_ts: `${v.ts}.${v.us}`,
    }],
  };
}

function marks() {
  const v = {};
  for (const name of Object.keys(WIDTH)) v[name] = MARK(name);
  return v;
}

function values(user, n, ts, us) {
  const pad = (name, x) => {
    const s = String(x).padStart(WIDTH[name], '0');
    if (!/^[0-9]+$/.test(s) || s.length !== WIDTH[name]) throw new Error(`${name} ${x} does not fit ${WIDTH[name]} digits`);
    return s;
  };
  return { user: pad('user', user), n: pad('n', n), ts: pad('ts', ts), us: pad('us', us) };
}

// The encoded body with holes: [literal, name, literal, name, …, literal].
function templateParts(o) {
  const body = signing.interactivityBody(payload(o, marks()));
  const re = new RegExp(Object.keys(WIDTH).map(MARK).join('|'), 'g');
  const parts = [];
  let last = 0;
  for (const m of body.matchAll(re)) {
    parts.push(body.slice(last, m.index), m[0].slice(2, -2).toLowerCase());
    last = m.index + m[0].length;
  }
  parts.push(body.slice(last));
  return parts;
}

function fill(parts, v) {
  return parts.map((p, i) => (i % 2 ? v[p] : p)).join('');
}

function checkOptions(o) {
  if (!/^T[A-Z0-9]+$/.test(o.team)) throw new Error('--team must look like a Slack team id');
  if (!/^https?:\/\/[^\s]+$/.test(o.responseBase)) throw new Error('--response-base must be a URL');
}

function main() {
  const [cmd, ...argv] = process.argv.slice(2);
  if (cmd === 'template') {
    const o = parseArgs(argv, { team: null, responseBase: null, out: null });
    checkOptions(o);
    const parts = templateParts(o);
    for (let i = 0; i < parts.length; i += 2) {
      if (!/^[A-Za-z0-9%+._=-]*$/.test(parts[i])) throw new Error(`the encoded body has an unexpected character: ${parts[i].replace(/[A-Za-z0-9%+._=-]/g, "")}`);
    }
    const lua = parts.map((p, i) => (i % 2 ? `"${p}"` : `[==[${p}]==]`));
    const size = fill(parts, values(1, 1, 1, 1)).length;
    fs.writeFileSync(o.out, `-- generated by bench/interaction-payload.js: a block_actions body of ${size} bytes\n`
      + `return { size = ${size}, parts = {\n${lua.join(',\n')}\n} }\n`);
    process.stdout.write(`${size}\n`);
  } else if (cmd === 'sample') {
    const now = Math.floor(Date.now() / 1000);
    const o = parseArgs(argv, { team: null, responseBase: null, user: '1', n: '1', ts: String(now), us: '123456', secretFile: '' });
    checkOptions(o);
    const body = signing.interactivityBody(payload(o, values(o.user, o.n, o.ts, o.us)));
    if (o.secretFile) {
      const secret = fs.readFileSync(o.secretFile, 'utf8').replace(/\r?\n$/, '');
      const h = signing.sign(secret, body, now);
      process.stderr.write(`${h[signing.SLACK_HEADERS.timestamp]} ${h[signing.SLACK_HEADERS.signature]}\n`);
    }
    process.stdout.write(body);
  } else if (cmd === 'check') {
    const o = parseArgs(argv, { team: null, responseBase: null });
    checkOptions(o);
    const parts = templateParts(o);
    const cases = [[1, 1, 1764512345, 1], [2000, 12345678, 1764599999, 999999], [42, 7, 1800000000, 500]];
    for (const c of cases) {
      const v = values(...c);
      const want = signing.interactivityBody(payload(o, v));
      const got = fill(parts, v);
      if (got !== want) {
        process.stderr.write(`template and encoder differ for ${JSON.stringify(v)}\n`);
        process.exit(1);
      }
      // the JSON inside decodes back to the payload
      const json = decodeURIComponent(got.slice('payload='.length).replace(/\+/g, ' '));
      if (JSON.stringify(JSON.parse(json)) !== JSON.stringify(payload(o, v))) {
        process.stderr.write('the body does not decode to the payload\n');
        process.exit(1);
      }
    }
    process.stdout.write(`ok: ${cases.length} bodies equal to the fakes' encoding, ${fill(parts, values(...cases[0])).length} bytes\n`);
  } else {
    process.stderr.write('usage: node bench/interaction-payload.js template|sample|check --team T --response-base URL …\n');
    process.exit(2);
  }
}

try {
  main();
} catch (e) {
  process.stderr.write(`interaction-payload: ${e.message}\n`);
  process.exit(2);
}
