'use strict';
// Starts an HTTP fake: its own API on --port and the control API either under
// /_control/ on the same port or, with --control-port, on a port of its own.

const http = require('http');
const { listen, parsePort, announceReady } = require('./cli');
const { sendError } = require('./router');

const CONTROL_PREFIX = '/_control/';
const KEEP_ALIVE_MS = 65000;

function requestUrl(req) {
  return new URL(req.url, 'http://127.0.0.1');
}

function createHttpServer(route) {
  const server = http.createServer((req, res) => {
    const url = requestUrl(req);
    Promise.resolve(route(req, res, url)).catch((err) => sendError(res, err));
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;
  return server;
}

function sharedRoute(handleMain, control) {
  return (req, res, url) => (url.pathname.startsWith(CONTROL_PREFIX)
    ? control.handle(req, res, url)
    : handleMain(req, res, url));
}

// opts: the parsed command line (port, controlPort, pidFile);
// handleMain(req, res, url) serves the fake's own protocol; control is a Router.
async function startHttpFake(opts, handleMain, control) {
  const port = parsePort(opts.port, 'port');
  const controlPort = parsePort(opts.controlPort, 'control-port');
  const separate = controlPort !== null;
  const route = separate ? handleMain : sharedRoute(handleMain, control);
  const mainPort = await listen(createHttpServer(route), port);
  const ports = { port: mainPort, control_port: mainPort };
  if (separate) {
    ports.control_port = await listen(createHttpServer((req, res, url) => control.handle(req, res, url)), controlPort);
  }
  announceReady(ports, opts.pidFile);
  return ports;
}

module.exports = { startHttpFake, createHttpServer, CONTROL_PREFIX };
