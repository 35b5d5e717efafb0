'use strict';
// Control routes of the fake Slack for installations: OAuth clients, codes and
// the automatic authorize decision; token revocation and workspace uninstall,
// each optionally followed by signed Events API deliveries to the module.

const { HttpError } = require('./http-util');
const { definer, requireFields } = require('./control');
const {
  EVENT_TYPES, appUninstalledEvent, tokensRevokedEvent, eventEnvelope, deliverEvent,
} = require('./slack-events');

// Bot tokens of a removed app answer account_inactive (reference: account_inactive
// is the bot-token error for a gone installation; token_revoked the user-token one).
const UNINSTALL_ERROR = 'account_inactive';
const AUTO_DECISIONS = ['allow', 'deny'];

// ---- OAuth ------------------------------------------------------------------

function issueCode(oauth, ctx) {
  const spec = ctx.json();
  requireFields(spec, ['team_id']);
  const code = oauth.issueCode(spec);
  return { ok: true, code: code.code, token: code.token };
}

function setAuto(oauth, ctx) {
  const spec = ctx.json();
  if (spec.decision !== null && spec.decision !== undefined && !AUTO_DECISIONS.includes(spec.decision)) {
    throw new HttpError(400, 'invalid_field', { field: 'decision' });
  }
  return { ok: true, auto: oauth.setAuto(spec) };
}

// ---- deliveries ---------------------------------------------------------------

// Checked before anything is revoked: where to deliver, and the secret.
function deliveryOptions(spec, signingSecret) {
  if (!spec.deliver_to) return null;
  try { new URL(spec.deliver_to); } catch (_) {
    throw new HttpError(400, 'invalid_field', { field: 'deliver_to' });
  }
  const secret = spec.secret || signingSecret;
  if (!secret) throw new HttpError(400, 'missing_field', { field: 'secret' });
  return { url: spec.deliver_to, secret, timestamp: spec.timestamp, headers: spec.headers };
}

async function deliverAll(options, envelopes) {
  const deliveries = [];
  for (const envelope of envelopes) {
    deliveries.push(await deliverEvent(options.url, envelope, options));
  }
  return deliveries;
}

function installOf(tokens, teamId) {
  const token = tokens[0] || {};
  return { team_id: teamId, app_id: token.app_id || null, bot_user_id: token.bot_user_id || null };
}

function uniqueBotUsers(tokens) {
  return [...new Set(tokens.map((token) => token.bot_user_id))];
}

// ---- POST /_control/tokens/revoke ---------------------------------------------------

async function revokeToken(state, ctx, signingSecret) {
  const spec = ctx.json();
  requireFields(spec, ['token']);
  const options = deliveryOptions(spec, signingSecret);
  const token = state.revokeToken(spec.token, spec.error || 'token_revoked');
  if (!token) throw new HttpError(404, 'unknown_token');
  if (!options) return { ok: true, token };
  const envelope = eventEnvelope(tokensRevokedEvent([token.bot_user_id]), installOf([token], token.team_id));
  const [delivery] = await deliverAll(options, [envelope]);
  return { ok: true, token, delivery };
}

// ---- POST /_control/teams/uninstall ---------------------------------------------------

function eventNames(spec) {
  if (spec.events === undefined || spec.events === null) return EVENT_TYPES.slice();
  if (!Array.isArray(spec.events) || !spec.events.every((name) => EVENT_TYPES.includes(name))) {
    throw new HttpError(400, 'invalid_field', { field: 'events' });
  }
  return spec.events;
}

function uninstallEvent(name, revoked) {
  return name === 'app_uninstalled' ? appUninstalledEvent() : tokensRevokedEvent(uniqueBotUsers(revoked));
}

async function uninstallTeam(state, ctx, signingSecret) {
  const spec = ctx.json();
  requireFields(spec, ['team_id']);
  const names = eventNames(spec);
  const options = deliveryOptions(spec, signingSecret);
  if (!state.teams.has(spec.team_id)) throw new HttpError(404, 'unknown_team');
  const all = state.teamTokens(spec.team_id).filter((token) => !spec.app_id || token.app_id === spec.app_id);
  const revoked = all.filter((token) => !token.revoked);
  revoked.forEach((token) => state.revokeToken(token.token, spec.error || UNINSTALL_ERROR));
  const install = installOf(revoked.length ? revoked : all, spec.team_id);
  const envelopes = names.map((name) => eventEnvelope(uninstallEvent(name, revoked), install));
  const deliveries = options ? await deliverAll(options, envelopes) : [];
  return { ok: true, revoked: revoked.map((token) => token.token), envelopes, deliveries };
}

// ---- routes -----------------------------------------------------------------------

function addInstallRoutes(router, fake, signingSecret) {
  const { oauth, state } = fake;
  router.add('POST', '/_control/oauth/client',
    definer(['client_id', 'client_secret'], (item) => oauth.addClient(item)));
  router.add('POST', '/_control/oauth/codes', (ctx) => issueCode(oauth, ctx));
  router.add('POST', '/_control/oauth/auto', (ctx) => setAuto(oauth, ctx));
  router.add('GET', '/_control/oauth', () => oauth.dump());
  router.add('POST', '/_control/tokens/revoke', (ctx) => revokeToken(state, ctx, signingSecret));
  router.add('POST', '/_control/teams/uninstall', (ctx) => uninstallTeam(state, ctx, signingSecret));
  return router;
}

module.exports = { addInstallRoutes, UNINSTALL_ERROR };
