'use strict';
// The fake Slack's control API (under /_control/): world set-up, injections,
// recorded calls, posted messages, and signed deliveries to the module.
// Installation routes (OAuth, revocation, uninstall) are in slack-install-control.js,
// interactivity routes (clicks, modals, config, views) in slack-interaction-control.js.

const fs = require('fs');
const { Router, reply } = require('./router');
const { definer, clearFake, addCallRoutes, addInjectRoutes, httpInjection } = require('./control');
const { deliverSlack } = require('./slack-delivery');
const { addInstallRoutes } = require('./slack-install-control');
const { addInteractionRoutes } = require('./slack-interaction-control');

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
  fake.interactivity.reset();
  applySeed(fake.state, seed);
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
  router.add('POST', '/_control/send-slack', (ctx) => deliverSlack(ctx.json(), signingSecret));
  addInstallRoutes(router, fake, signingSecret);
  addInteractionRoutes(router, fake, signingSecret);
  addCallRoutes(router, fake.recorder);
  addInjectRoutes(router, fake.injector, (spec) => httpInjection(spec, 'method'));
  return router;
}

module.exports = { buildSlackControl, reply };
