#!/usr/bin/env node
'use strict';
// Fake Slack Web API. Usage:
//   node t/fakes/fake-slack.js --port N [--control-port M] [--pid-file PATH]
//     [--signing-secret S | --signing-secret-file PATH] [--seed FILE.json] [--max-calls N]
// Prints `READY {"port":N,"control_port":M}` once listening. See README.md.

const { parseArgs, readSecret, runMain } = require('./lib/cli');
const { startHttpFake } = require('./lib/server');
const { SlackState } = require('./lib/slack-state');
const { Injector } = require('./lib/injector');
const { recorderFromOption } = require('./lib/recorder');
const { METHODS } = require('./lib/slack-methods');
const { handleApi } = require('./lib/slack-api');
const { buildSlackControl } = require('./lib/slack-control');

const DEFAULTS = {
  port: '0', controlPort: null, pidFile: null, signingSecret: null, signingSecretFile: null,
  seed: null, maxCalls: null,
};

async function main() {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const fake = {
    state: new SlackState(),
    injector: new Injector(),
    recorder: recorderFromOption(opts.maxCalls),
    methods: METHODS,
  };
  const control = buildSlackControl(fake, {
    seedFile: opts.seed,
    signingSecret: readSecret(opts.signingSecret, opts.signingSecretFile),
  });
  await startHttpFake(opts, (req, res, url) => handleApi(fake, req, res, url), control);
}

runMain('fake-slack', main);
