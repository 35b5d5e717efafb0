'use strict';
// views.open and views.update (modals only). A view is checked the way Slack
// checks it (size, Block Kit via blockkit.js validateView), then stored in
// the interactivity store with the user of the trigger that opened it.

const { SlackError, errorWithMessages, missingArgument } = require('./slack-errors');
const { validateView } = require('./blockkit');
const { withIds } = require('./slack-elements');
const { newViewId, newViewHash } = require('./slack-ids');

const VIEW_MAX_BYTES = 250 * 1000;

function invalidView(errors) {
  return errorWithMessages('invalid_arguments', errors);
}

// The `view` argument: a JSON object, or a string holding one (form fields).
function parseView(value) {
  let view = value;
  if (typeof value === 'string') {
    try { view = JSON.parse(value); } catch (_) { view = null; }
  }
  if (view === null || typeof view !== 'object' || Array.isArray(view)) {
    throw invalidView(['must provide an object [json-pointer:/view]']);
  }
  return view;
}

function checkedView(value) {
  const view = parseView(value);
  if (Buffer.byteLength(JSON.stringify(view)) > VIEW_MAX_BYTES) throw new SlackError('view_too_large');
  const errors = validateView(view);
  if (view.type !== undefined && view.type !== 'modal' && !errors.length) {
    errors.push('must be a valid enum value [json-pointer:/view/type]');
  }
  if (errors.length) throw invalidView(errors);
  return view;
}

function orDefault(value, fallback) {
  return value === undefined || value === null ? fallback : value;
}

// Slack's view object. place: {id, hash, root_view_id, previous_view_id}
function viewObject(input, token, place) {
  return {
    id: place.id,
    team_id: token.team_id,
    type: 'modal',
    title: input.title,
    submit: orDefault(input.submit, null),
    close: orDefault(input.close, null),
    blocks: withIds(input.blocks, place.id),
    private_metadata: orDefault(input.private_metadata, ''),
    callback_id: orDefault(input.callback_id, ''),
    external_id: orDefault(input.external_id, ''),
    state: { values: {} },
    hash: place.hash,
    clear_on_close: Boolean(input.clear_on_close),
    notify_on_close: Boolean(input.notify_on_close),
    root_view_id: place.root_view_id,
    previous_view_id: place.previous_view_id,
    app_id: token.app_id,
    app_installed_team_id: token.team_id,
    bot_id: token.bot_id,
  };
}

function checkExternalId(store, teamId, input, ownId) {
  const other = store.viewByExternalId(teamId, input.external_id);
  if (other && other.view.id !== ownId) throw new SlackError('duplicate_external_id');
}

function copy(view) {
  return JSON.parse(JSON.stringify(view));
}

// A new open view for `userId` (views.open, and a pushed view).
function openView(store, token, input, userId, previous = null) {
  const id = newViewId();
  const place = {
    id, hash: newViewHash(), root_view_id: previous ? previous.root_view_id : id,
    previous_view_id: previous ? previous.id : null,
  };
  return store.addView({
    view: viewObject(input, token, place), team_id: token.team_id, user_id: userId, state: 'open',
    token: token.token, opened_ms: Date.now(), errors: null, response_error: null,
  });
}

// Replaces the view of `record` (views.update, response_action "update").
function replaceView(record, token, input) {
  const { id, hash, root_view_id, previous_view_id } = record.view;
  record.view = viewObject(input, token, { id, hash: newViewHash(hash), root_view_id, previous_view_id });
  record.errors = null;
  return record;
}

// ---- views.open ------------------------------------------------------------------

function viewsOpen(ctx) {
  const triggerId = orDefault(ctx.args.trigger_id, ctx.args.interactivity_pointer);
  if (triggerId === undefined || triggerId === null || triggerId === '') throw missingArgument('trigger_id');
  const input = checkedView(ctx.args.view);
  checkExternalId(ctx.interactivity, ctx.team.id, input, null);
  const trigger = ctx.interactivity.exchangeTrigger(triggerId, ctx.team.id);
  const record = openView(ctx.interactivity, ctx.token, input, trigger.user_id);
  record.trigger_id = trigger.trigger_id;
  return { view: copy(record.view) };
}

// ---- views.update ------------------------------------------------------------------

function viewToUpdate(ctx) {
  const { view_id: viewId, external_id: externalId } = ctx.args;
  if (!viewId && !externalId) throw missingArgument('view_id');
  const store = ctx.interactivity;
  const record = viewId ? store.views.get(String(viewId)) : store.viewByExternalId(ctx.team.id, externalId);
  if (!record || record.team_id !== ctx.team.id || record.state !== 'open') throw new SlackError('not_found');
  return record;
}

function viewsUpdate(ctx) {
  const record = viewToUpdate(ctx);
  const { hash } = ctx.args;
  if (hash !== undefined && hash !== null && hash !== '' && hash !== record.view.hash) {
    throw new SlackError('hash_conflict');
  }
  const input = checkedView(ctx.args.view);
  checkExternalId(ctx.interactivity, ctx.team.id, input, record.view.id);
  return { view: copy(replaceView(record, ctx.token, input).view) };
}

module.exports = { viewsOpen, viewsUpdate, checkedView, openView, replaceView, VIEW_MAX_BYTES };
