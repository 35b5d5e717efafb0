#!/usr/bin/env node
'use strict';
// Slack's Bolt for JavaScript as the reference of bench/interactions.sh: an app
// with Bolt's default HTTP receiver (HTTPReceiver, endpoint /slack/events,
// signature verification on) whose only listener acknowledges every action
// with a bare ack(), as Bolt's documentation shows it.
//
//   node bench/bolt-server.js --modules DIR --port P --signing-secret-file PATH --slack-api URL
//
// DIR is the node_modules directory @slack/bolt was installed into
// (build/bench-node/node_modules). It listens on 127.0.0.1 only and prints
// "READY {"port":P,"bolt":"<version>"}" once listening; SIGTERM / SIGINT stop it.
//
// The App is created with `token` as the issue asks, plus `botId` and
// `botUserId`: with those Bolt does not call auth.test, so it makes no Web API
// call at all (and if it did, `slackApiUrl` points at the fake Slack, never out).

const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const o = { modules: null, port: null, signingSecretFile: null, slackApi: null };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in o) || argv[i + 1] === undefined) throw new Error(`bad option ${argv[i]}`);
    o[key] = argv[i + 1];
  }
  for (const [k, v] of Object.entries(o)) if (v === null) throw new Error(`--${k} is required`);
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const boltDir = path.join(path.resolve(o.modules), '@slack', 'bolt');
  const { App, LogLevel } = require(boltDir);
  const version = JSON.parse(fs.readFileSync(path.join(boltDir, 'package.json'), 'utf8')).version;
  const signingSecret = fs.readFileSync(o.signingSecretFile, 'utf8').replace(/\r?\n$/, '');

  const app = new App({
    signingSecret,
    token: 'xoxb-bench-not-used',
    botId: 'B0BENCHBOT',
    botUserId: 'U0BENCHBOT',
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: o.slackApi.replace(/\/?$/, '/') },
  });
  app.action(/.*/, async ({ ack }) => { await ack(); });
  app.error(async (error) => { process.stderr.write(`bolt error: ${error && error.message}\n`); });

  await app.start({ port: Number(o.port), host: '127.0.0.1' });
  process.stdout.write(`READY ${JSON.stringify({ port: Number(o.port), bolt: version, node: process.version })}\n`);
  const stop = () => { app.stop().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write(`bolt-server: ${e.stack || e.message}\n`);
  process.exit(1);
});
