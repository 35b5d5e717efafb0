#!/usr/bin/env node
'use strict';
// Fake Slack Web API. Usage:
//   node t/fakes/fake-slack.js --port N [--control-port M] [--pid-file PATH]
//     [--signing-secret S | --signing-secret-file PATH] [--seed FILE.json] [--max-calls N]
//     [--client-id ID --client-secret S | --client-secret-file PATH] [--tokens-file PATH]
// Prints `READY {"port":N,"control_port":M}` once listening. See README.md.

const { parseArgs, readSecret, runMain } = require('./lib/cli');
const { startHttpFake } = require('./lib/server');
const { SlackState } = require('./lib/slack-state');
const { Injector } = require('./lib/injector');
const { recorderFromOption } = require('./lib/recorder');
const { METHODS } = require('./lib/slack-methods');
const { handleApi } = require('./lib/slack-api');
const { handleAuthorize, isAuthorizePath } = require('./lib/slack-authorize');
const { OAuthRegistry } = require('./lib/slack-oauth');
const { buildSlackControl } = require('./lib/slack-control');
const { InteractivityStore } = require('./lib/slack-interactivity');
const { attachTokenFile } = require('./lib/slack-token-file');
const { handleResponseUrl, isResponseUrlPath } = require('./lib/slack-response-url');

const DEFAULTS = {
  port: '0', controlPort: null, pidFile: null, signingSecret: null, signingSecretFile: null,
  seed: null, maxCalls: null, clientId: null, clientSecret: null, clientSecretFile: null,
  tokensFile: null,
};

// The OAuth client of the command line: both halves or neither.
function cliClient(opts) {
  const secret = readSecret(opts.clientSecret, opts.clientSecretFile);
  if (!opts.clientId && !secret) return null;
  if (!opts.clientId) throw new Error('--client-secret needs --client-id');
  if (!secret) throw new Error('--client-id needs --client-secret or --client-secret-file');
  return { client_id: opts.clientId, client_secret: secret };
}

function handleMain(fake) {
  return (req, res, url) => {
    if (isAuthorizePath(url.pathname)) return handleAuthorize(fake, req, res, url);
    if (isResponseUrlPath(url.pathname)) return handleResponseUrl(fake, req, res, url);
    return handleApi(fake, req, res, url);
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const fake = {
    state: new SlackState(),
    injector: new Injector(),
    recorder: recorderFromOption(opts.maxCalls),
    methods: METHODS,
    oauth: new OAuthRegistry(cliClient(opts)),
    interactivity: new InteractivityStore(),
    mainPort: null, // response_urls point here
  };
  const control = buildSlackControl(fake, {
    seedFile: opts.seed,
    signingSecret: readSecret(opts.signingSecret, opts.signingSecretFile),
  });
  if (opts.tokensFile) attachTokenFile(fake.state, opts.tokensFile);
  fake.mainPort = (await startHttpFake(opts, handleMain(fake), control)).port;
}

runMain('fake-slack', main);
