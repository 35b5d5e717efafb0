'use strict';
// Interactive elements inside blocks: the ids Slack fills in, the buttons of
// a message, and the state (view.state.values) of a view's stateful elements
// as Slack reports it: every stateful element, unanswered ones with
// value null / selected_option null / selected_options [] (or their initial
// value), answered ones with the full option objects of the view.

const { HttpError } = require('./http-util');
const { shortId } = require('./slack-ids');

// type -> the state field, the element's initial-value field, whether it holds
// option objects, whether it holds a list.
const STATE_SHAPES = {};
function shape(types, field, initial, flags = {}) {
  for (const type of types) STATE_SHAPES[type] = { field, initial, option: false, multi: false, ...flags };
}
shape(['plain_text_input', 'email_text_input', 'url_text_input', 'number_input'], 'value', 'initial_value');
shape(['radio_buttons', 'static_select', 'external_select'], 'selected_option', 'initial_option', { option: true });
shape(['checkboxes', 'multi_static_select', 'multi_external_select'], 'selected_options', 'initial_options',
  { option: true, multi: true });
shape(['users_select'], 'selected_user', 'initial_user');
shape(['multi_users_select'], 'selected_users', 'initial_users', { multi: true });
shape(['conversations_select'], 'selected_conversation', 'initial_conversation');
shape(['multi_conversations_select'], 'selected_conversations', 'initial_conversations', { multi: true });
shape(['channels_select'], 'selected_channel', 'initial_channel');
shape(['multi_channels_select'], 'selected_channels', 'initial_channels', { multi: true });
shape(['datepicker'], 'selected_date', 'initial_date');
shape(['timepicker'], 'selected_time', 'initial_time');
shape(['datetimepicker'], 'selected_date_time', 'initial_date_time');

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// The interactive elements of one block (actions elements, a section's
// accessory, an input's element).
function blockElements(block) {
  if (!isObject(block)) return [];
  if (block.type === 'actions' && Array.isArray(block.elements)) return block.elements.filter(isObject);
  if (block.type === 'section' && isObject(block.accessory)) return [block.accessory];
  if (block.type === 'input' && isObject(block.element)) return [block.element];
  return [];
}

// [{block, element}] over all blocks.
function elementsOf(blocks) {
  return (blocks || []).flatMap((block) => blockElements(block).map((element) => ({ block, element })));
}

// A copy of `blocks` with the block_id / action_id Slack gives blocks and
// interactive elements sent without one (stable for the same seed).
function withIds(blocks, seed) {
  const copy = JSON.parse(JSON.stringify(blocks || []));
  copy.forEach((block, i) => {
    if (!isObject(block)) return;
    if (block.block_id === undefined) block.block_id = shortId(seed, i);
    blockElements(block).forEach((element, j) => {
      if (element.type !== 'image' && element.action_id === undefined) element.action_id = shortId(seed, i, j);
    });
  });
  return copy;
}

function buttonsOf(blocks) {
  return elementsOf(blocks).filter(({ element }) => element.type === 'button');
}

function inputBlockIds(blocks) {
  return (blocks || []).filter((block) => isObject(block) && block.type === 'input').map((block) => block.block_id);
}

// ---- view state ------------------------------------------------------------------

function statefulElements(blocks) {
  return elementsOf(blocks).filter(({ element }) => STATE_SHAPES[element.type]);
}

function emptyState(element) {
  const { field, initial, multi } = STATE_SHAPES[element.type];
  const value = element[initial] !== undefined ? element[initial] : (multi ? [] : null);
  return { type: element.type, [field]: value };
}

function allOptions(element) {
  const groups = Array.isArray(element.option_groups) ? element.option_groups : [];
  return (element.options || []).concat(...groups.map((group) => group.options || []));
}

function optionFor(element, value) {
  const option = allOptions(element).find((candidate) => candidate.value === String(value));
  if (!option) throw new HttpError(400, 'unknown_option', { action_id: element.action_id, value });
  return option;
}

// The state of one element for a test's answer ("text", "option value" or a list).
function answeredState(element, answer) {
  const { field, option, multi } = STATE_SHAPES[element.type];
  const list = Array.isArray(answer) ? answer : [answer];
  let value = multi ? list : list[0];
  if (option) value = multi ? list.map((item) => optionFor(element, item)) : optionFor(element, list[0]);
  else if (!multi && value !== null && value !== undefined) value = String(value);
  return { type: element.type, [field]: value };
}

// Values given in Slack's shape must name stateful elements of the view.
function checkGivenValues(given, state) {
  for (const [blockId, actions] of Object.entries(given)) {
    const unknown = Object.keys(actions || {}).find((actionId) => !(state[blockId] && actionId in state[blockId]));
    if (unknown !== undefined) throw new HttpError(400, 'unknown_action', { block_id: blockId, action_id: unknown });
  }
}

// Slack's state.values for a view: every stateful element, from `values`
// (Slack's shape, taken as given) or `answers` ({action_id: answer}).
function viewStateValues(blocks, { values, answers }) {
  const given = values || {};
  const pending = { ...(answers || {}) };
  const state = {};
  for (const { block, element } of statefulElements(blocks)) {
    const own = (given[block.block_id] || {})[element.action_id];
    let value = own || emptyState(element);
    if (!own && Object.prototype.hasOwnProperty.call(pending, element.action_id)) {
      value = answeredState(element, pending[element.action_id]);
      delete pending[element.action_id];
    }
    state[block.block_id] = { ...(state[block.block_id] || {}), [element.action_id]: value };
  }
  checkGivenValues(given, state);
  const unknown = Object.keys(pending)[0];
  if (unknown !== undefined) throw new HttpError(400, 'unknown_action', { action_id: unknown });
  return state;
}

module.exports = { elementsOf, withIds, buttonsOf, inputBlockIds, viewStateValues, STATE_SHAPES };
