'use strict';
// The fake approval engine's API (DESIGN section 6), called by the module
// with "Authorization: Bearer <token>":
//   POST /decisions          -> 200 applied | 409 | 403 | 410 (| 400, 401, 404)
//   GET  /users?email=ADDR   -> 200 {account_id, display_name, email} | 404

const { HttpError, readBody, parseJsonObject, sendJson, bearerToken } = require('./http-util');

const PRODUCTS = ['jira', 'confluence'];
const DECISIONS = ['approve', 'reject', 'abstain', 'vote'];
const SOURCES = ['slack'];
const DEFAULT_RETRY_AFTER_S = 1;
const STATUS_ERRORS = {
  429: 'rate_limited', 500: 'internal_error', 502: 'bad_gateway', 503: 'unavailable', 504: 'timeout',
};
const ENDPOINTS = { 'POST /decisions': 'decisions', 'GET /users': 'users' };

// ---- decision body validation ----------------------------------------------

function badField(field, problem) {
  return new HttpError(400, 'invalid_request', { field, message: `${problem} field: ${field}` });
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function requireString(value, field) {
  if (value === undefined || value === null) throw badField(field, 'missing');
  if (typeof value !== 'string' || value === '') throw badField(field, 'invalid');
}

function requireOneOf(value, field, allowed) {
  requireString(value, field);
  if (!allowed.includes(value)) throw badField(field, 'invalid');
}

function requirePerson(value, field) {
  if (value === undefined || value === null) throw badField(field, 'missing');
  if (!isObject(value)) throw badField(field, 'invalid');
  requireString(value.account_id, `${field}.account_id`);
}

function checkOptional(body) {
  if (body.on_behalf_of !== undefined && body.on_behalf_of !== null) requirePerson(body.on_behalf_of, 'on_behalf_of');
  if (body.comment !== undefined && body.comment !== null && typeof body.comment !== 'string') {
    throw badField('comment', 'invalid');
  }
  const votes = body.votes === undefined || body.votes === null ? [] : body.votes;
  if (!Array.isArray(votes) || votes.some((id) => typeof id !== 'string')) throw badField('votes', 'invalid');
  if (body.decision === 'vote' && votes.length === 0) throw badField('votes', 'missing');
  body.votes = votes;
}

function validateDecision(body) {
  if (!isObject(body)) throw new HttpError(400, 'invalid_json', { message: 'body must be a JSON object' });
  requireString(body.request_id, 'request_id');
  requireOneOf(body.product, 'product', PRODUCTS);
  requireString(body.approval_id, 'approval_id');
  requireString(body.step_id, 'step_id');
  requirePerson(body.actor, 'actor');
  requireOneOf(body.decision, 'decision', DECISIONS);
  requireOneOf(body.source, 'source', SOURCES);
  checkOptional(body);
  return body;
}

// ---- endpoints -------------------------------------------------------------

function postDecision(fake, raw) {
  const body = parseJsonObject(raw.toString('utf8'));
  if (!body) throw new HttpError(400, 'invalid_json', { message: 'body must be a JSON object' });
  return fake.state.decide(validateDecision(body));
}

function getUser(fake, url) {
  const email = url.searchParams.get('email');
  if (!email) throw badField('email', 'missing');
  const user = fake.state.userByEmail(email);
  return user ? { status: 200, body: user } : { status: 404, body: { error: 'not_found' } };
}

const HANDLERS = {
  decisions: (fake, req, url, raw) => postDecision(fake, raw),
  users: (fake, req, url) => getUser(fake, url),
};

// ---- dispatch --------------------------------------------------------------

function injectedAnswer(rule) {
  if (rule.status === null && !rule.error) return null;
  const status = rule.status === null ? 500 : rule.status;
  const body = rule.body === null ? { error: rule.error || STATUS_ERRORS[status] || 'injected' } : rule.body;
  const retryAfter = rule.retry_after === null ? DEFAULT_RETRY_AFTER_S : rule.retry_after;
  const headers = status === 429 ? { 'Retry-After': String(retryAfter) } : {};
  return { status, body, headers };
}

function authorized(fake, req) {
  return Boolean(fake.config.token) && bearerToken(req) === fake.config.token;
}

async function answerCall(fake, endpoint, req, url, raw) {
  const args = Object.fromEntries(url.searchParams);
  const injected = await fake.injector.intercept(endpoint || url.pathname, args, injectedAnswer);
  if (injected) return injected;
  if (!endpoint) return { status: 404, body: { error: 'not_found' } };
  if (!authorized(fake, req)) return { status: 401, body: { error: 'unauthorized' } };
  try {
    return HANDLERS[endpoint](fake, req, url, raw);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    return { status: err.status, body: { error: err.code, ...err.extra } };
  }
}

function callRecord(req, url, endpoint, raw) {
  return {
    endpoint: endpoint || null,
    http_method: req.method,
    path: url.pathname,
    query: url.search,
    headers: req.headers,
    raw_body: raw.toString('utf8'),
    body: parseJsonObject(raw.toString('utf8')),
    time: new Date().toISOString(),
    time_ms: Date.now(),
  };
}

// fake: {state, injector, recorder, config: {token, secret}}
async function handleEngine(fake, req, res, url) {
  const endpoint = ENDPOINTS[`${req.method} ${url.pathname}`];
  const raw = await readBody(req);
  const call = fake.recorder.record(callRecord(req, url, endpoint, raw));
  const answer = await answerCall(fake, endpoint, req, url, raw);
  call.response = answer;
  call.duration_ms = Date.now() - call.time_ms;
  sendJson(res, answer.status, answer.body, answer.headers || {});
}

module.exports = { handleEngine, validateDecision };
