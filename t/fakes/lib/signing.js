'use strict';
// Request signing shared by Slack and the approval engine (DESIGN section 4):
// header timestamp + "v0=" + hex HMAC-SHA256 of "v0:" + ts + ":" + raw body.
// Also Slack's byte-exact encoding of interactivity bodies (slack-notes.md).

const crypto = require('crypto');

const SLACK_HEADERS = Object.freeze({
  timestamp: 'X-Slack-Request-Timestamp',
  signature: 'X-Slack-Signature',
});

const ENGINE_HEADERS = Object.freeze({
  timestamp: 'X-Approvals-Request-Timestamp',
  signature: 'X-Approvals-Signature',
});

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

function signature(secret, timestamp, body) {
  const hmac = crypto.createHmac('sha256', secret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(body);
  return `v0=${hmac.digest('hex')}`;
}

// Returns the two headers that sign `body`; names default to Slack's.
function sign(secret, body, timestamp, names = SLACK_HEADERS) {
  const ts = String(timestamp === undefined || timestamp === null ? nowSeconds() : timestamp);
  return { [names.timestamp]: ts, [names.signature]: signature(secret, ts, body) };
}

function isUnreserved(byte) {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a)
    || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d || byte === 0x5f || byte === 0x2e;
}

// PHP urlencode(): letters, digits and -_. stay; space -> "+"; every other
// UTF-8 byte -> %XX with uppercase hex.
function phpUrlencode(text) {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    if (isUnreserved(byte)) out += String.fromCharCode(byte);
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

// Slack's JSON escapes "/" as "\/" ("/" only ever occurs inside JSON strings).
function slackJson(value) {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

function interactivityBody(payload) {
  return `payload=${phpUrlencode(slackJson(payload))}`;
}

module.exports = {
  SLACK_HEADERS, ENGINE_HEADERS, nowSeconds, signature, sign, phpUrlencode, slackJson,
  interactivityBody,
};
