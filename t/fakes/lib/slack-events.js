'use strict';
// Events API deliveries of the fake Slack: event_callback envelopes as Slack
// sends them (slack-notes.md "Events API"), the app_uninstalled and
// tokens_revoked events, and their signed POST to the module.

const crypto = require('crypto');
const { SLACK_HEADERS, nowSeconds, slackJson } = require('./signing');
const { postSigned } = require('./outbound');
const { HttpError } = require('./http-util');

const SLACKBOT_HEADERS = Object.freeze({
  'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  Accept: 'application/json,*/*',
});
const JSON_TYPE = 'application/json';
const VERIFICATION_TOKEN = 'fakeVerificationToken123';
const ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const EVENT_TYPES = Object.freeze(['app_uninstalled', 'tokens_revoked']);

let eventSeq = 0;

// "Ev" + 10 upper-case letters / digits, unique within the process.
function newEventId() {
  eventSeq += 1;
  let random = '';
  for (const byte of crypto.randomBytes(6)) random += ID_ALPHABET[byte % ID_ALPHABET.length];
  return `Ev${eventSeq.toString(36).toUpperCase().padStart(4, '0')}${random}`;
}

// "4-" + base64url of {"et","tid","aid"}, the form Slack's event_context has.
function eventContext(type, teamId, appId) {
  const json = JSON.stringify({ et: type, tid: teamId, aid: appId });
  return `4-${Buffer.from(json).toString('base64url')}`;
}

function appUninstalledEvent() {
  return { type: 'app_uninstalled' };
}

// Lists user ids: the installing users of revoked user tokens, the bot users
// of revoked bot tokens.
function tokensRevokedEvent(botUserIds, oauthUserIds = []) {
  return { type: 'tokens_revoked', tokens: { oauth: oauthUserIds.slice(), bot: botUserIds.slice() } };
}

// install: {team_id, app_id, bot_user_id}
function eventEnvelope(event, install, verificationToken = VERIFICATION_TOKEN) {
  return {
    token: verificationToken,
    team_id: install.team_id,
    api_app_id: install.app_id,
    event,
    type: 'event_callback',
    event_id: newEventId(),
    event_time: nowSeconds(),
    authorizations: [{
      enterprise_id: null,
      team_id: install.team_id,
      user_id: install.bot_user_id,
      is_bot: true,
      is_enterprise_install: false,
    }],
    is_ext_shared_channel: false,
    event_context: eventContext(event.type, install.team_id, install.app_id),
  };
}

// POSTs the envelope as Slack does (JSON, signed, Slackbot headers; `headers`
// last). A connection failure is reported in the answer, not thrown.
// options: {secret, timestamp?, headers?}
async function deliverEvent(url, envelope, options) {
  const about = { event_type: envelope.event.type, event_id: envelope.event_id };
  try {
    const answer = await postSigned({
      url, body: slackJson(envelope), contentType: JSON_TYPE, secret: options.secret,
      timestamp: options.timestamp, names: SLACK_HEADERS,
      extraHeaders: { ...SLACKBOT_HEADERS, ...(options.headers || {}) },
    });
    return { ...about, ...answer };
  } catch (err) {
    if (!(err instanceof HttpError) || err.code !== 'delivery_failed') throw err;
    return { ...about, status: null, error: 'delivery_failed', message: err.extra.message };
  }
}

module.exports = {
  SLACKBOT_HEADERS, VERIFICATION_TOKEN, EVENT_TYPES, newEventId, eventContext, appUninstalledEvent,
  tokensRevokedEvent, eventEnvelope, deliverEvent,
};
