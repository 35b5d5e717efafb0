'use strict';
// What Slack does with the module's answer to a view_submission:
//   HTTP 200, empty body or a JSON object without response_action -> the view closes
//   {"response_action":"clear"}                -> every view of the modal closes
//   {"response_action":"errors","errors":{…}}  -> stays open, errors shown at the
//       named input blocks (each key must be an input block of the view)
//   {"response_action":"update","view":{…}}   -> the view is replaced (new hash)
//   {"response_action":"push","view":{…}}     -> a new view on top (at most 3)
// Anything else (non-200, not JSON, bad errors, an invalid view) is what Slack
// shows as an error in the modal: the view stays open and `response_error`
// says why.

const { parseJsonObject } = require('./http-util');
const { SlackError } = require('./slack-errors');
const { inputBlockIds } = require('./slack-elements');
const { checkedView, openView, replaceView } = require('./slack-views');

const MAX_STACK = 3;

function closeViews(records) {
  for (const record of records) record.state = 'closed';
}

function refused(record, reason) {
  record.response_error = reason;
  return { view_state: 'open', response_error: reason };
}

function errorsProblem(record, errors) {
  if (!errors || typeof errors !== 'object' || Array.isArray(errors) || !Object.keys(errors).length) {
    return 'errors must be a non-empty object';
  }
  const inputs = inputBlockIds(record.view.blocks);
  const stray = Object.keys(errors).find((blockId) => !inputs.includes(blockId));
  if (stray !== undefined) return `errors name ${stray}, not an input block of the view`;
  const notText = Object.keys(errors).find((blockId) => typeof errors[blockId] !== 'string');
  return notText === undefined ? null : `errors.${notText} must be a string`;
}

function showErrors(record, errors) {
  const problem = errorsProblem(record, errors);
  if (problem) return refused(record, problem);
  record.errors = errors;
  return { view_state: 'open', errors };
}

// fn(input) changes the views; a view Slack would refuse is a response_error.
function withView(record, input, fn) {
  try {
    return fn(checkedView(input));
  } catch (err) {
    if (!(err instanceof SlackError)) throw err;
    const messages = (err.extra.response_metadata || {}).messages || [];
    return refused(record, `invalid view (${[err.code, ...messages].join(' ')})`);
  }
}

function updateView(token, record, input) {
  return withView(record, input, (view) => ({ view_state: 'open', view: replaceView(record, token, view).view }));
}

function pushView(fake, token, record, input) {
  if (fake.interactivity.stack(record).filter((other) => other.state === 'open').length >= MAX_STACK) {
    return refused(record, `push: already ${MAX_STACK} views`);
  }
  return withView(record, input, (view) => {
    const pushed = openView(fake.interactivity, token, view, record.user_id, record.view);
    return { view_state: 'open', pushed_view_id: pushed.view.id };
  });
}

function applyAction(fake, record, json) {
  const token = fake.state.tokens.get(record.token);
  switch (json.response_action) {
    case undefined: closeViews([record]); return { view_state: 'closed' };
    case 'clear': closeViews(fake.interactivity.stack(record)); return { view_state: 'closed' };
    case 'errors': return showErrors(record, json.errors);
    case 'update': return updateView(token, record, json.view);
    case 'push': return pushView(fake, token, record, json.view);
    default: return refused(record, `unknown response_action ${JSON.stringify(json.response_action)}`);
  }
}

// delivered: the module's answer {status, body}. Returns {view_state, errors?,
// response_error?, view?, pushed_view_id?}.
function applySubmissionAnswer(fake, record, delivered) {
  record.errors = null;
  record.response_error = null;
  if (delivered.status !== 200) return refused(record, `HTTP status ${delivered.status}`);
  const text = (delivered.body || '').trim();
  if (text === '') {
    closeViews([record]);
    return { view_state: 'closed' };
  }
  const json = parseJsonObject(text);
  if (!json) return refused(record, 'answer is not a JSON object');
  return applyAction(fake, record, json);
}

module.exports = { applySubmissionAnswer, closeViews };
