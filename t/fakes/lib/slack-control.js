'use strict';
// The fake Slack's control API (under /_control/): world set-up, injections,
// recorded calls, posted messages, and signed deliveries to the module.
// Installation routes (OAuth, revocation, uninstall) are in slack-install-control.js.

const fs = require('fs');
const { Router, reply } = require('./router');
const { HttpError } = require('./http-util');
const { definer, clearFake, requireFields, addCallRoutes, addInjectRoutes, httpInjection } = require('./control');
const { SLACK_HEADERS, interactivityBody } = require('./signing');
const { postSigned } = require('./outbound');
const { SLACKBOT_HEADERS } = require('./slack-events');
const { addInstallRoutes } = require('./slack-install-control');

const FORM_TYPE = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

function loadSeed(file) {
  return file ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
}

function applySeed(state, seed) {
  (seed.teams || []).forEach((team) => state.addTeam(team));
  (seed.tokens || []).forEach((token) => state.addToken(token));
  (seed.users || []).forEach((user) => state.addUser(user));
  (seed.channels || []).forEach((channel) => state.addChannel(channel));
}

// The OAuth registry keeps the command line's client.
function resetAll(fake, seed) {
  clearFake(fake);
  fake.oauth.reset();
  applySeed(fake.state, seed);
}

// What to deliver: `payload` (interactivity form), a raw string `body`, or an
// object `body` (JSON, as the Events API sends).
function slackDelivery(spec) {
  if (spec.payload !== undefined) return { body: interactivityBody(spec.payload), contentType: FORM_TYPE };
  const contentType = spec.content_type || JSON_TYPE;
  if (typeof spec.body === 'string') return { body: spec.body, contentType };
  if (contentType.startsWith(FORM_TYPE)) return { body: interactivityBody(spec.body), contentType };
  return { body: JSON.stringify(spec.body), contentType };
}

async function sendSlack(ctx, signingSecret) {
  const spec = ctx.json();
  requireFields(spec, ['url']);
  if (spec.body === undefined && spec.payload === undefined) {
    throw new HttpError(400, 'missing_field', { field: 'body' });
  }
  const secret = spec.secret || signingSecret;
  if (!secret) throw new HttpError(400, 'missing_field', { field: 'secret' });
  const { body, contentType } = slackDelivery(spec);
  const extraHeaders = { ...SLACKBOT_HEADERS, ...(spec.headers || {}) };
  return postSigned({
    url: spec.url, body, contentType, secret, timestamp: spec.timestamp, names: SLACK_HEADERS, extraHeaders,
  });
}

function stateDump(state) {
  return {
    teams: [...state.teams.values()],
    tokens: [...state.tokens.values()],
    users: [...state.users.values()],
    channels: [...state.channels.values()],
    dms: [...state.dms.values()],
  };
}

function buildSlackControl(fake, { seedFile, signingSecret }) {
  const seed = loadSeed(seedFile);
  applySeed(fake.state, seed);
  const router = new Router();
  const { state } = fake;
  router.add('POST', '/_control/reset', () => { resetAll(fake, seed); return { ok: true }; });
  router.add('POST', '/_control/teams', definer(['team_id'], (item) => state.addTeam(item)));
  router.add('POST', '/_control/tokens', definer(['token', 'team_id'], (item) => state.addToken(item)));
  router.add('POST', '/_control/users', definer(['id', 'team_id'], (item) => state.addUser(item)));
  router.add('POST', '/_control/channels', definer(['id', 'team_id'], (item) => state.addChannel(item)));
  router.add('GET', '/_control/messages', (ctx) => ({ messages: state.listMessages(ctx.query) }));
  router.add('GET', '/_control/state', () => stateDump(state));
  router.add('POST', '/_control/send-slack', (ctx) => sendSlack(ctx, signingSecret));
  addInstallRoutes(router, fake, signingSecret);
  addCallRoutes(router, fake.recorder);
  addInjectRoutes(router, fake.injector, (spec) => httpInjection(spec, 'method'));
  return router;
}

module.exports = { buildSlackControl, reply };
