'use strict';
// Serves /api/<method> the way Slack does: arguments from query, form, JSON or
// multipart; token from "Authorization: Bearer" or a token argument; every
// failure HTTP 200 {"ok":false,...} except rate limits (429) and server errors.

const {
  readBody, parseContentType, parseForm, parseMultipart, parseJsonObject, sendJson, bearerToken,
} = require('./http-util');
const { SlackError, missingArgument } = require('./slack-errors');

const API_PREFIX = '/api/';
const DEFAULT_RETRY_AFTER_S = 1;
const SERVER_ERROR_CODES = {
  500: 'fatal_error', 502: 'fatal_error', 503: 'service_unavailable', 504: 'request_timeout',
};

// ---- request arguments ---------------------------------------------------

function formBody(raw, params) {
  return { bodyArgs: parseForm(raw.toString('utf8')), warnings: params.charset ? ['superfluous_charset'] : [] };
}

function multipartBody(raw, params) {
  return { bodyArgs: parseMultipart(raw, params.boundary || ''), warnings: [] };
}

// JSON bodies carry no token argument: Slack wants the Authorization header.
function jsonBody(raw, params, spec) {
  const charset = (params.charset || '').toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') return { error: 'invalid_charset', warnings: [] };
  const warnings = charset ? [] : ['missing_charset'];
  if (spec && !spec.json) return { bodyArgs: {}, warnings };
  const parsed = parseJsonObject(raw.toString('utf8'));
  if (!parsed) return { error: 'invalid_json', warnings };
  const { token, ...bodyArgs } = parsed;
  return { bodyArgs, warnings };
}

const BODY_PARSERS = {
  'application/x-www-form-urlencoded': formBody,
  'text/plain': formBody,
  'multipart/form-data': multipartBody,
  'application/json': jsonBody,
};

function parseArguments(req, url, raw, spec) {
  const query = parseForm(url.search);
  if (raw.length === 0) return { args: query, warnings: [] };
  const { type, params } = parseContentType(req.headers['content-type']);
  if (!type) return { args: query, warnings: [], error: 'missing_post_type' };
  const parser = BODY_PARSERS[type];
  if (!parser) return { args: query, warnings: [], error: 'invalid_post_type' };
  const body = parser(raw, params, spec);
  return { args: { ...query, ...(body.bodyArgs || {}) }, warnings: body.warnings, error: body.error };
}

// ---- answers -------------------------------------------------------------

function withWarnings(body, warnings) {
  if (!warnings.length) return body;
  const metadata = { ...(body.response_metadata || {}), warnings };
  return { ...body, warning: warnings.join(','), response_metadata: metadata };
}

function slackAnswer(body, warnings, headers = {}) {
  return { status: 200, body: withWarnings(body, warnings), headers };
}

function injectedAnswer(rule) {
  if (rule.status === 429) {
    const retryAfter = rule.retry_after === null ? DEFAULT_RETRY_AFTER_S : rule.retry_after;
    return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'Retry-After': String(retryAfter) } };
  }
  if (rule.status !== null && rule.status !== 200) {
    const error = rule.error || SERVER_ERROR_CODES[rule.status] || 'fatal_error';
    return { status: rule.status, body: rule.body === null ? { ok: false, error } : rule.body, headers: {} };
  }
  if (rule.error) return { status: 200, body: { ok: false, error: rule.error }, headers: {} };
  return null;
}

// ---- authentication and scopes -------------------------------------------

function authenticate(state, req, args) {
  const value = bearerToken(req) || args.token;
  if (!value) throw new SlackError('not_authed');
  const token = state.tokens.get(value);
  if (!token) throw new SlackError('invalid_auth');
  if (token.revoked) throw new SlackError(token.revoked_error || 'token_revoked');
  return token;
}

function checkScopes(spec, token, args) {
  const needed = typeof spec.scopes === 'function' ? spec.scopes(args) : spec.scopes;
  const missing = needed.filter((scope) => !token.scopes.includes(scope));
  if (missing.length) {
    throw new SlackError('missing_scope', { needed: missing.join(','), provided: token.scopes.join(',') });
  }
  return needed;
}

function checkRequired(spec, args) {
  const absent = spec.required.find((name) => args[name] === undefined || args[name] === null);
  if (absent) throw missingArgument(absent);
}

function scopeHeaders(token, needed) {
  return { 'X-OAuth-Scopes': token.scopes.join(','), 'X-Accepted-OAuth-Scopes': needed.join(',') };
}

// ---- dispatch ------------------------------------------------------------

async function runMethod(fake, spec, req, parsed) {
  const warnings = parsed.warnings.slice();
  let headers = {};
  try {
    if (parsed.error) throw new SlackError(parsed.error);
    const token = spec.auth ? authenticate(fake.state, req, parsed.args) : null;
    if (token) headers = scopeHeaders(token, checkScopes(spec, token, parsed.args));
    checkRequired(spec, parsed.args);
    const team = token ? fake.state.ensureTeam(token.team_id) : null;
    const ctx = {
      args: parsed.args, token, team, state: fake.state, oauth: fake.oauth, interactivity: fake.interactivity,
      headers: req.headers, warn: (code) => warnings.push(code),
    };
    return slackAnswer({ ok: true, ...(await spec.handler(ctx)) }, warnings, headers);
  } catch (err) {
    if (!(err instanceof SlackError)) throw err;
    return slackAnswer({ ok: false, error: err.code, ...err.extra }, warnings, headers);
  }
}

async function answerCall(fake, name, req, parsed) {
  const injected = await fake.injector.intercept(name, parsed.args, injectedAnswer);
  if (injected) return injected;
  const spec = fake.methods.get(name);
  if (!spec) return slackAnswer({ ok: false, error: 'unknown_method', req_method: name }, []);
  if (req.method !== 'POST' && !(req.method === 'GET' && spec.get)) {
    const headers = { Allow: spec.get ? 'GET, POST' : 'POST' };
    return { status: 405, body: { ok: false, error: 'method_not_allowed' }, headers };
  }
  return runMethod(fake, spec, req, parsed);
}

function callRecord(req, url, name, raw, parsed) {
  return {
    method: name,
    http_method: req.method,
    path: url.pathname,
    query: url.search,
    headers: req.headers,
    content_type: req.headers['content-type'] || null,
    args: parsed.args,
    raw_body: raw.toString('utf8'),
    time: new Date().toISOString(),
    time_ms: Date.now(),
  };
}

function sendAnswer(res, answer) {
  if (typeof answer.body === 'string') {
    res.writeHead(answer.status, { 'Content-Type': 'text/html; charset=utf-8', ...answer.headers });
    res.end(answer.body);
  } else {
    sendJson(res, answer.status, answer.body, answer.headers);
  }
}

// Records `call`, answers with what produce() resolves to and keeps that
// answer (and the duration) in the record.
async function answerRecorded(fake, res, call, produce) {
  const recorded = fake.recorder.record(call);
  const answer = await produce();
  recorded.response = { status: answer.status, headers: answer.headers, body: answer.body };
  recorded.duration_ms = Date.now() - recorded.time_ms;
  sendAnswer(res, answer);
}

// fake: {state, injector, recorder, methods, oauth, interactivity}
async function handleApi(fake, req, res, url) {
  if (!url.pathname.startsWith(API_PREFIX)) {
    sendJson(res, 404, { ok: false, error: 'not_found' });
    return;
  }
  const name = url.pathname.slice(API_PREFIX.length);
  const raw = await readBody(req);
  const parsed = parseArguments(req, url, raw, fake.methods.get(name));
  await answerRecorded(fake, res, callRecord(req, url, name, raw, parsed), () => answerCall(fake, name, req, parsed));
}

module.exports = { handleApi, callRecord, sendAnswer, injectedAnswer, answerRecorded };
