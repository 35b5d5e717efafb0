'use strict';
// Signed requests from Slack to the module (send-slack, clicks, view
// submissions): an interactivity form (`payload`), a JSON or form `body`
// object, or a raw `body` string; signed with the request's `secret` or the
// fake's signing secret; Slackbot headers, then the request's `headers`.

const { HttpError } = require('./http-util');
const { requireFields } = require('./control');
const { SLACK_HEADERS, interactivityBody } = require('./signing');
const { postSigned } = require('./outbound');
const { SLACKBOT_HEADERS } = require('./slack-events');

const FORM_TYPE = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

// What to deliver: `payload` (interactivity form), a raw string `body`, or an
// object `body` (JSON, as the Events API sends).
function slackDelivery(spec) {
  if (spec.payload !== undefined) return { body: interactivityBody(spec.payload), contentType: FORM_TYPE };
  const contentType = spec.content_type || JSON_TYPE;
  if (typeof spec.body === 'string') return { body: spec.body, contentType };
  if (contentType.startsWith(FORM_TYPE)) return { body: interactivityBody(spec.body), contentType };
  return { body: JSON.stringify(spec.body), contentType };
}

function secretFor(spec, signingSecret) {
  const secret = spec.secret || signingSecret;
  if (!secret) throw new HttpError(400, 'missing_field', { field: 'secret' });
  return secret;
}

// spec: {url, payload | body, content_type?, secret?, timestamp?, headers?}
// Answers {status, headers, body, json, request:{headers, body}}.
async function deliverSlack(spec, signingSecret) {
  requireFields(spec, ['url']);
  if (spec.body === undefined && spec.payload === undefined) {
    throw new HttpError(400, 'missing_field', { field: 'body' });
  }
  const secret = secretFor(spec, signingSecret);
  const { body, contentType } = slackDelivery(spec);
  const extraHeaders = { ...SLACKBOT_HEADERS, ...(spec.headers || {}) };
  return postSigned({
    url: spec.url, body, contentType, secret, timestamp: spec.timestamp, names: SLACK_HEADERS, extraHeaders,
  });
}

module.exports = { deliverSlack, slackDelivery, secretFor, FORM_TYPE, JSON_TYPE };
