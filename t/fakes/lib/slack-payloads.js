'use strict';
// Interaction payloads as Slack builds them (slack-notes.md "Interactivity"):
// block_actions for a button click in a message, view_submission and
// view_closed for a modal.

const { VERIFICATION_TOKEN } = require('./slack-events');

function userRef(user) {
  return { id: user.id, username: user.name, name: user.name, team_id: user.team_id };
}

function teamRef(team) {
  return { id: team.id, domain: team.domain };
}

// DMs are named "directmessage" in payloads; other conversations by their name.
function channelRef(state, channelId) {
  if (String(channelId).startsWith('D')) return { id: channelId, name: 'directmessage' };
  const channel = state.channels.get(channelId) || state.dms.get(channelId);
  return { id: channelId, name: (channel && channel.name) || 'privategroup' };
}

// The message as posted, with the ids Slack gave its blocks.
function messageRef(message, blocks) {
  const ref = {
    bot_id: message.bot_id, type: 'message', text: message.text, user: message.user, ts: message.ts,
    team: message.team, blocks,
  };
  if (message.thread_ts) ref.thread_ts = message.thread_ts;
  return ref;
}

function buttonAction(block, button, actionTs) {
  const action = { action_id: button.action_id, block_id: block.block_id, text: button.text };
  if (button.value !== undefined) action.value = button.value;
  if (button.style !== undefined) action.style = button.style;
  if (button.url !== undefined) action.url = button.url;
  return { ...action, type: 'button', action_ts: actionTs };
}

// click: {state, team, user, message, blocks, block, button, values, trigger_id, response_url, action_ts}
function blockActionsPayload(click) {
  const { message } = click;
  return {
    type: 'block_actions',
    user: userRef(click.user),
    api_app_id: message.app_id,
    token: VERIFICATION_TOKEN,
    container: {
      type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: Boolean(message.is_ephemeral),
    },
    trigger_id: click.trigger_id,
    team: teamRef(click.team),
    enterprise: null,
    is_enterprise_install: false,
    channel: channelRef(click.state, message.channel),
    message: messageRef(message, click.blocks),
    state: { values: click.values },
    response_url: click.response_url,
    actions: [buttonAction(click.block, click.button, click.action_ts)],
  };
}

function viewWithState(record) {
  return JSON.parse(JSON.stringify(record.view));
}

// submission: {record, team, user, trigger_id}
function viewSubmissionPayload(submission) {
  const { record } = submission;
  return {
    type: 'view_submission',
    team: teamRef(submission.team),
    user: userRef(submission.user),
    api_app_id: record.view.app_id,
    token: VERIFICATION_TOKEN,
    trigger_id: submission.trigger_id,
    view: viewWithState(record),
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

// closing: {record, team, user}
function viewClosedPayload(closing) {
  const { record } = closing;
  return {
    type: 'view_closed',
    team: teamRef(closing.team),
    user: userRef(closing.user),
    view: viewWithState(record),
    api_app_id: record.view.app_id,
    token: VERIFICATION_TOKEN,
    is_cleared: false,
    is_enterprise_install: false,
    enterprise: null,
  };
}

module.exports = { blockActionsPayload, viewSubmissionPayload, viewClosedPayload, userRef, teamRef };
