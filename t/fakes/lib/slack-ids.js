'use strict';
// Random values in the forms Slack uses: digit strings, alphanumerics, the
// ids of views, trigger ids, view hashes and response_url paths.

const crypto = require('crypto');
const { nowSeconds } = require('./signing');

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomFrom(alphabet, length) {
  let out = '';
  for (const byte of crypto.randomBytes(length)) out += alphabet[byte % alphabet.length];
  return out;
}

// `length` digits, the first one not 0.
function randomDigits(length) {
  return String(1 + (crypto.randomBytes(1)[0] % 9)) + randomFrom('0123456789', length - 1);
}

// "1234567890123.1234567890.0123456789abcdef0123456789abcdef"
function newTriggerId() {
  return `${randomDigits(13)}.${randomDigits(10)}.${crypto.randomBytes(16).toString('hex')}`;
}

// "V0A1B2C3D4E"
function newViewId() {
  return `V${randomFrom(UPPER_ALNUM, 10)}`;
}

// "<unix seconds>.<digits>", never equal to `previous`.
function newViewHash(previous) {
  let hash;
  do { hash = `${nowSeconds()}.${randomDigits(8)}`; } while (hash === previous);
  return hash;
}

// "/actions/T…/1234567890123/AbC…" (the path of a response_url)
function newResponsePath(teamId) {
  return `/actions/${teamId}/${randomDigits(13)}/${randomFrom(ALNUM, 24)}`;
}

// A short id that Slack gives blocks / elements sent without block_id /
// action_id; stable for the same seed.
function shortId(...seed) {
  return crypto.createHash('sha1').update(seed.join('\0')).digest('base64url').slice(0, 5);
}

module.exports = {
  ALNUM, randomFrom, randomDigits, newTriggerId, newViewId, newViewHash, newResponsePath, shortId,
};
