'use strict';
// response_urls of interaction payloads, served on the main port:
//   POST /actions/<team_id>/<number>/<random>  (JSON body)
//   {text, blocks, response_type ("ephemeral" default | "in_channel"),
//    replace_original, delete_original, thread_ts}
// An ephemeral answer is stored for the clicking user; replace_original
// replaces the original message (as chat.update records an edit);
// delete_original deletes it; in_channel posts a new visible message.
// Success: 200 {"ok":true}; unknown / expired / used up: 404
// {"ok":false,"error":"invalid_url"|"expired_url"|"used_url"}. Recorded in
// the calls with method "response_url"; injections apply as to Web API methods.

const { readBody, parseJsonObject } = require('./http-util');
const { SlackError } = require('./slack-errors');
const { callRecord, answerRecorded, injectedAnswer } = require('./slack-api');
const { messageContent, newMessage, applyUpdate } = require('./slack-chat');
const { isTrue } = require('./slack-methods');

const RESPONSE_URL_PREFIX = '/actions/';
const METHOD = 'response_url';

function isResponseUrlPath(pathname) {
  return pathname.startsWith(RESPONSE_URL_PREFIX);
}

function answer(status, body, headers = {}) {
  return { status, body, headers };
}

// What chat.* helpers need to post / edit as the bot that sent the original.
function botContext(state, record) {
  return {
    state,
    token: { bot_user_id: record.bot_user_id, bot_id: record.bot_id, app_id: record.app_id },
    team: { id: record.team_id },
  };
}

function originalMessage(state, record) {
  const message = state.anyMessage(record.channel, record.message_ts);
  if (!message) throw new SlackError('message_not_found');
  return message;
}

// The whole message is replaced: what the body leaves out is gone.
function replaceOriginal(ctx, record, body) {
  const message = originalMessage(ctx.state, record);
  const content = messageContent(body);
  const { text, blocks, attachments } = content;
  applyUpdate(ctx, message, { text: text || '', blocks: blocks || [], attachments });
}

function postResponse(ctx, record, body) {
  const content = messageContent(body);
  const extra = { thread_ts: body.thread_ts || undefined };
  if (body.response_type !== 'in_channel') {
    Object.assign(extra, { is_ephemeral: true, ephemeral_user: record.user_id });
  }
  ctx.state.storeMessage(newMessage(ctx, { id: record.channel }, content, extra));
}

function applyResponse(state, record, body) {
  const ctx = botContext(state, record);
  if (isTrue(body.delete_original)) state.deleteMessage(originalMessage(state, record));
  else if (isTrue(body.replace_original)) replaceOriginal(ctx, record, body);
  else postResponse(ctx, record, body);
}

async function responseAnswer(fake, req, url, body) {
  const injected = await fake.injector.intercept(METHOD, body || {}, injectedAnswer);
  if (injected) return injected;
  if (req.method !== 'POST') return answer(405, { ok: false, error: 'method_not_allowed' }, { Allow: 'POST' });
  const { record, error } = fake.interactivity.responseUrl(url.pathname);
  if (error) return answer(404, { ok: false, error });
  if (!body) return answer(400, { ok: false, error: 'invalid_payload' });
  try {
    applyResponse(fake.state, record, body);
  } catch (err) {
    if (!(err instanceof SlackError)) throw err;
    return answer(err.code === 'message_not_found' ? 404 : 400, { ok: false, error: err.code, ...err.extra });
  }
  record.uses++;
  return answer(200, { ok: true });
}

async function handleResponseUrl(fake, req, res, url) {
  const raw = await readBody(req);
  const body = parseJsonObject(raw.toString('utf8'));
  await answerRecorded(fake, res, callRecord(req, url, METHOD, raw, { args: body || {} }),
    () => responseAnswer(fake, req, url, body));
}

module.exports = { handleResponseUrl, isResponseUrlPath, RESPONSE_URL_PREFIX };
