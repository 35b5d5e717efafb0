#!/usr/bin/env node
'use strict';
// Fake approval engine (DESIGN section 6). Usage:
//   node t/fakes/fake-engine.js --port N [--control-port M] [--pid-file PATH]
//     [--token T | --token-file PATH] [--secret S | --secret-file PATH] [--max-calls N]
// Prints `READY {"port":N,"control_port":M}` once listening. See README.md.

const { parseArgs, readSecret, runMain } = require('./lib/cli');
const { startHttpFake } = require('./lib/server');
const { EngineState } = require('./lib/engine-state');
const { Injector } = require('./lib/injector');
const { recorderFromOption } = require('./lib/recorder');
const { handleEngine } = require('./lib/engine-api');
const { buildEngineControl } = require('./lib/engine-control');

const DEFAULTS = {
  port: '0', controlPort: null, pidFile: null, token: null, tokenFile: null,
  secret: null, secretFile: null, maxCalls: null,
};

async function main() {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const fake = {
    state: new EngineState(),
    injector: new Injector(),
    recorder: recorderFromOption(opts.maxCalls),
    config: {
      token: readSecret(opts.token, opts.tokenFile),
      secret: readSecret(opts.secret, opts.secretFile),
    },
  };
  await startHttpFake(opts, (req, res, url) => handleEngine(fake, req, res, url), buildEngineControl(fake));
}

runMain('fake-engine', main);
