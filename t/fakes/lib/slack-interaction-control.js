'use strict';
// Control routes of the fake Slack for interactivity: a user clicks a button
// (block_actions), submits or closes a modal (view_submission, view_closed);
// the payload is delivered to the module signed like send-slack. Also the
// configuration (trigger / response_url lifetimes) and the list of views.

const { HttpError } = require('./http-util');
const { requireFields } = require('./control');
const { interactivityBody } = require('./signing');
const { deliverSlack, secretFor, FORM_TYPE } = require('./slack-delivery');
const { withIds, buttonsOf, viewStateValues } = require('./slack-elements');
const { blockActionsPayload, viewSubmissionPayload, viewClosedPayload } = require('./slack-payloads');
const { applySubmissionAnswer, closeViews } = require('./slack-view-answers');

// ---- shared ---------------------------------------------------------------------

// A flag turned off: false (or 0, "0", "false", as test languages write it).
function off(value) {
  return value === false || value === 0 || value === '0' || value === 'false';
}

// Checked before anything changes: where to deliver and the secret.
function checkDelivery(spec, signingSecret) {
  if (off(spec.deliver)) return;
  requireFields(spec, ['url']);
  secretFor(spec, signingSecret);
}

async function deliverPayload(spec, payload, signingSecret) {
  if (off(spec.deliver)) {
    const request = { body: interactivityBody(payload), content_type: FORM_TYPE };
    return { sent: false, reason: 'deliver: false', request };
  }
  const { url, secret, timestamp, headers } = spec;
  return { sent: true, ...(await deliverSlack({ url, payload, secret, timestamp, headers }, signingSecret)) };
}

// An active user of the team (deactivated users click nothing).
function teamUser(state, teamId, userId) {
  const user = state.teamUser(teamId, userId);
  if (!user || user.deleted) throw new HttpError(400, 'unknown_user');
  return user;
}

// ---- POST /_control/click ----------------------------------------------------------

function findButton(blocks, spec) {
  const found = buttonsOf(blocks).find(({ block, element }) => element.action_id === spec.action_id
    && (spec.block_id === undefined || block.block_id === spec.block_id)
    && (spec.value === undefined || element.value === spec.value));
  if (!found) throw new HttpError(404, 'action_not_found');
  return found;
}

function clickedMessage(state, spec) {
  const message = state.anyMessage(spec.channel, spec.ts);
  if (!message) throw new HttpError(404, 'message_not_found');
  return message;
}

function registerClick(fake, message, user) {
  const store = fake.interactivity;
  const trigger = store.issueTrigger(message.team, user.id);
  const responseUrl = store.issueResponseUrl({
    team_id: message.team, user_id: user.id, channel: message.channel, message_ts: message.ts,
    is_ephemeral: Boolean(message.is_ephemeral), bot_user_id: message.user, bot_id: message.bot_id,
    app_id: message.app_id,
  });
  return { trigger_id: trigger.trigger_id, response_url: `http://127.0.0.1:${fake.mainPort}${responseUrl.path}` };
}

async function click(fake, spec, signingSecret) {
  requireFields(spec, ['channel', 'ts', 'action_id', 'user']);
  checkDelivery(spec, signingSecret);
  const { state } = fake;
  const message = clickedMessage(state, spec);
  const blocks = withIds(message.blocks, message.ts);
  const { block, element } = findButton(blocks, spec);
  const user = teamUser(state, message.team, spec.user);
  if (message.is_ephemeral && message.ephemeral_user !== user.id) throw new HttpError(400, 'message_not_visible');
  if (element.confirm && off(spec.confirm)) return { sent: false, reason: 'dismissed' };
  const ids = registerClick(fake, message, user);
  const payload = blockActionsPayload({
    state, team: state.ensureTeam(message.team), user, message, blocks, block, button: element,
    values: viewStateValues(blocks, {}), action_ts: state.nextTs(), ...ids,
  });
  return { ...(await deliverPayload(spec, payload, signingSecret)), payload, ...ids };
}

// ---- views ---------------------------------------------------------------------------

function openViewRecord(store, viewId) {
  const record = store.views.get(String(viewId));
  if (!record) throw new HttpError(404, 'view_not_found');
  if (record.state !== 'open') throw new HttpError(409, 'view_not_open');
  return record;
}

// Only the user the view was opened for can submit or close it.
function viewUser(state, record, userId) {
  const user = teamUser(state, record.team_id, userId || record.user_id);
  if (user.id !== record.user_id) throw new HttpError(400, 'wrong_user', { view_user: record.user_id });
  return user;
}

// ---- POST /_control/submit-view ------------------------------------------------------

async function submitView(fake, spec, signingSecret) {
  requireFields(spec, ['view_id']);
  checkDelivery(spec, signingSecret);
  const { state, interactivity } = fake;
  const record = openViewRecord(interactivity, spec.view_id);
  const user = viewUser(state, record, spec.user);
  const values = viewStateValues(record.view.blocks, spec);
  const trigger = interactivity.issueTrigger(record.team_id, user.id);
  record.view.state = { values };
  const team = state.ensureTeam(record.team_id);
  const payload = viewSubmissionPayload({ record, team, user, trigger_id: trigger.trigger_id });
  const delivered = await deliverPayload(spec, payload, signingSecret);
  const outcome = delivered.sent ? applySubmissionAnswer(fake, record, delivered) : { view_state: 'open' };
  return { ...delivered, payload, trigger_id: trigger.trigger_id, ...outcome };
}

// ---- POST /_control/close-view -------------------------------------------------------

async function closeView(fake, spec, signingSecret) {
  requireFields(spec, ['view_id']);
  const { state, interactivity } = fake;
  const record = openViewRecord(interactivity, spec.view_id);
  const user = viewUser(state, record, spec.user);
  const notify = record.view.notify_on_close;
  if (notify) checkDelivery(spec, signingSecret);
  closeViews(record.view.clear_on_close ? interactivity.stack(record) : [record]);
  if (!notify) return { sent: false, reason: 'notify_on_close not set', view_state: 'closed' };
  const payload = viewClosedPayload({ record, team: state.ensureTeam(record.team_id), user });
  return { ...(await deliverPayload(spec, payload, signingSecret)), payload, view_state: 'closed' };
}

// ---- GET /_control/views ---------------------------------------------------------------

function viewListing(record) {
  return {
    ...record.view, user: record.user_id, state: record.state, values: record.view.state.values,
    errors: record.errors, response_error: record.response_error, view: record.view,
  };
}

function listViews(store, query) {
  return [...store.views.values()].map(viewListing).filter((view) => (!query.user || view.user === query.user)
    && (!query.callback_id || view.callback_id === query.callback_id)
    && (!query.state || view.state === query.state)
    && (!query.id || view.id === query.id));
}

// ---- routes -------------------------------------------------------------------------------

function addInteractionRoutes(router, fake, signingSecret) {
  const store = fake.interactivity;
  router.add('POST', '/_control/config', (ctx) => ({ ok: true, config: store.configure(ctx.json()) }));
  router.add('GET', '/_control/config', () => ({ config: store.config }));
  router.add('POST', '/_control/click', (ctx) => click(fake, ctx.json(), signingSecret));
  router.add('POST', '/_control/submit-view', (ctx) => submitView(fake, ctx.json(), signingSecret));
  router.add('POST', '/_control/close-view', (ctx) => closeView(fake, ctx.json(), signingSecret));
  router.add('GET', '/_control/views', (ctx) => ({ views: listViews(store, ctx.query) }));
  return router;
}

module.exports = { addInteractionRoutes };
