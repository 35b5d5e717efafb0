'use strict';
// The fake engine's control API (under /_control/): users, steps, config,
// injections, recorded calls and decisions, and signed event delivery.

const { Router } = require('./router');
const { HttpError } = require('./http-util');
const { definer, clearFake, requireFields, addCallRoutes, addInjectRoutes, httpInjection } = require('./control');
const { ENGINE_HEADERS } = require('./signing');
const { postSigned } = require('./outbound');

function resetAll(fake, initialConfig) {
  clearFake(fake);
  Object.assign(fake.config, initialConfig);
}

function setConfig(fake, ctx) {
  const spec = ctx.json();
  if (spec.token !== undefined) fake.config.token = spec.token;
  if (spec.secret !== undefined) fake.config.secret = spec.secret;
  return { ok: true };
}

function person(entry) {
  return entry.account_id || entry.email;
}

// Optional: the event's recipients become the step's approvers (and engine
// users), so a sandbox can click buttons without defining steps by hand.
function defineStepFromEvent(state, event) {
  const approval = event.approval || {};
  const step = event.step || {};
  if (!approval.id || !step.id || state.hasStep(approval.id, step.id)) return;
  const recipients = event.recipients || [];
  const people = recipients.flatMap((recipient) => [recipient, ...(recipient.delegates || [])]);
  people.filter((entry) => entry.account_id && entry.email).forEach((entry) => state.addUser(entry));
  const delegates = {};
  recipients.forEach((recipient) => { delegates[person(recipient)] = (recipient.delegates || []).map(person); });
  state.defineStep({
    approval_id: approval.id, step_id: step.id, kind: step.kind, required: step.required,
    approvers: recipients.map(person), delegates,
    options: (step.vote && step.vote.options) || [], multiple: Boolean(step.vote && step.vote.multiple),
  });
}

async function sendEvent(fake, ctx) {
  const spec = ctx.json();
  requireFields(spec, ['url', 'event']);
  const secret = spec.secret || fake.config.secret;
  if (!secret) throw new HttpError(400, 'missing_field', { field: 'secret' });
  if (spec.define && typeof spec.event === 'object') defineStepFromEvent(fake.state, spec.event);
  const body = typeof spec.event === 'string' ? spec.event : JSON.stringify(spec.event);
  return postSigned({
    url: spec.url, body, contentType: 'application/json', secret, timestamp: spec.timestamp,
    names: ENGINE_HEADERS, extraHeaders: spec.headers,
  });
}

function buildEngineControl(fake) {
  const initialConfig = { ...fake.config };
  const { state } = fake;
  const router = new Router();
  router.add('POST', '/_control/reset', () => { resetAll(fake, initialConfig); return { ok: true }; });
  router.add('POST', '/_control/config', (ctx) => setConfig(fake, ctx));
  router.add('POST', '/_control/users', definer(['account_id', 'email'], (item) => state.addUser(item)));
  router.add('POST', '/_control/steps', definer(['approval_id', 'step_id'], (item) => state.defineStep(item)));
  router.add('GET', '/_control/steps', (ctx) => ({ steps: state.listSteps(ctx.query) }));
  router.add('GET', '/_control/decisions', (ctx) => ({
    decisions: state.decisions.filter((decision) => Object.entries(ctx.query)
      .every(([key, value]) => String(decision[key]) === value)),
  }));
  router.add('POST', '/_control/send-event', (ctx) => sendEvent(fake, ctx));
  addCallRoutes(router, fake.recorder);
  addInjectRoutes(router, fake.injector, (spec) => httpInjection(
    { ...spec, endpoint: spec.endpoint === undefined ? spec.method : spec.endpoint }, 'endpoint'));
  return router;
}

module.exports = { buildEngineControl };
