#!/usr/bin/env node
'use strict';
// SMTP relay sink (RFC 5321; 8BITMIME, SIZE, PIPELINING; no STARTTLS, no AUTH). Usage:
//   node t/fakes/smtp-sink.js --port N [--control-port M] [--pid-file PATH]
//     [--hostname NAME] [--max-size BYTES]
// Prints `READY {"port":N,"control_port":M}` once listening (control port 0 by
// default, i.e. a free one). The HTTP control API is described in README.md.

const net = require('net');
const { parseArgs, parsePort, listen, announceReady, runMain } = require('./lib/cli');
const { createHttpServer } = require('./lib/server');
const { Router } = require('./lib/router');
const { HttpError } = require('./lib/http-util');
const { Injector } = require('./lib/injector');
const { addInjectRoutes } = require('./lib/control');
const { MessageStore } = require('./lib/smtp-store');
const { SmtpSession } = require('./lib/smtp-session');

const DEFAULTS = { port: '0', controlPort: '0', pidFile: null, hostname: 'smtp-sink.test', maxSize: '10485760' };
const STAGES = ['connect', 'mail', 'rcpt', 'data', 'data_end'];

// {stage, code, message?, times?, address?} -> Injector.add arguments
function smtpInjection(spec) {
  if (!STAGES.includes(spec.stage)) throw new HttpError(400, 'invalid_field', { field: 'stage' });
  const code = Number(spec.code);
  if (!Number.isInteger(code) || code < 200 || code > 599) throw new HttpError(400, 'invalid_field', { field: 'code' });
  const match = spec.address === undefined ? {} : { address: spec.address };
  return { key: spec.stage, effect: { code, message: spec.message || null }, times: spec.times, match };
}

function buildControl(store, injector) {
  const router = new Router();
  router.add('GET', '/_control/messages', (ctx) => ({ messages: store.list(ctx.query) }));
  router.add('DELETE', '/_control/messages', () => { store.clear(); return { ok: true }; });
  router.add('POST', '/_control/reset', () => { store.clear(); injector.clear(); return { ok: true }; });
  addInjectRoutes(router, injector, smtpInjection);
  return router;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2), DEFAULTS);
  const store = new MessageStore();
  const injector = new Injector();
  const sink = {
    hostname: opts.hostname,
    maxSize: Number(opts.maxSize),
    injector,
    storeMessage: (envelope) => store.add(envelope),
  };
  const smtpServer = net.createServer((socket) => new SmtpSession(socket, sink).start());
  const control = buildControl(store, injector);
  const port = await listen(smtpServer, parsePort(opts.port, 'port'));
  const controlServer = createHttpServer((req, res, url) => control.handle(req, res, url));
  const controlPort = await listen(controlServer, parsePort(opts.controlPort, 'control-port'));
  announceReady({ port, control_port: controlPort }, opts.pidFile);
}

runMain('smtp-sink', main);
