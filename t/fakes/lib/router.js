'use strict';
// A small JSON route table: "METHOD /path" -> async handler(ctx).
// Used by the control APIs and by the fake engine's own API.

const { HttpError, readBody, sendJson } = require('./http-util');

class Reply {
  constructor(status, body, headers) {
    this.status = status;
    this.body = body;
    this.headers = headers || {};
  }
}

function reply(status, body, headers) {
  return new Reply(status, body, headers);
}

function parseJsonBody(raw) {
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  try { return JSON.parse(text); } catch (_) {
    throw new HttpError(400, 'invalid_json');
  }
}

function makeContext(req, url, raw) {
  return {
    req,
    url,
    raw,
    query: Object.fromEntries(url.searchParams),
    json: () => parseJsonBody(raw),
  };
}

function sendResult(res, result) {
  if (result instanceof Reply) sendJson(res, result.status, result.body, result.headers);
  else sendJson(res, 200, result === undefined ? { ok: true } : result);
}

function sendError(res, err) {
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: err.code, ...err.extra });
    return;
  }
  sendJson(res, 500, { error: 'internal_error', message: String(err && err.message) });
}

class Router {
  constructor() {
    this.routes = new Map();
  }

  add(method, path, handler) {
    this.routes.set(`${method} ${path}`, handler);
    return this;
  }

  pathKnown(path) {
    for (const key of this.routes.keys()) {
      if (key.slice(key.indexOf(' ') + 1) === path) return true;
    }
    return false;
  }

  findHandler(method, path) {
    const handler = this.routes.get(`${method} ${path}`);
    if (handler) return handler;
    if (this.pathKnown(path)) throw new HttpError(405, 'method_not_allowed');
    throw new HttpError(404, 'not_found');
  }

  async handle(req, res, url) {
    try {
      const handler = this.findHandler(req.method, url.pathname);
      const raw = await readBody(req);
      sendResult(res, await handler(makeContext(req, url, raw)));
    } catch (err) {
      sendError(res, err);
    }
  }
}

module.exports = { Router, reply, sendError };
