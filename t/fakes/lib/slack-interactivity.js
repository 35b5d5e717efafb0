'use strict';
// What Slack keeps for interactivity: trigger ids (one team and user, valid
// trigger_ttl_ms, usable once), open and closed modal views, and response_urls
// (valid response_url_ttl_ms, at most response_url_max_uses uses). In memory;
// reset() forgets everything and restores the default configuration.

const { HttpError } = require('./http-util');
const { SlackError } = require('./slack-errors');
const { newTriggerId, newResponsePath } = require('./slack-ids');

const DEFAULT_CONFIG = Object.freeze({
  trigger_ttl_ms: 3000,
  response_url_ttl_ms: 30 * 60 * 1000,
  response_url_max_uses: 5,
});

function checkedConfig(spec) {
  const changes = {};
  for (const [name, value] of Object.entries(spec || {})) {
    if (!(name in DEFAULT_CONFIG)) throw new HttpError(400, 'unknown_field', { field: name });
    if (!Number.isInteger(value) || value < 0) throw new HttpError(400, 'invalid_field', { field: name });
    changes[name] = value;
  }
  return changes;
}

class InteractivityStore {
  constructor() {
    this.reset();
  }

  reset() {
    this.config = { ...DEFAULT_CONFIG };
    this.triggers = new Map();
    this.views = new Map();
    this.responseUrls = new Map();
  }

  configure(spec) {
    Object.assign(this.config, checkedConfig(spec));
    return this.config;
  }

  // ---- trigger ids ---------------------------------------------------------------

  issueTrigger(teamId, userId, nowMs = Date.now()) {
    const trigger = { trigger_id: newTriggerId(), team_id: teamId, user_id: userId, issued_ms: nowMs, used: false };
    this.triggers.set(trigger.trigger_id, trigger);
    return trigger;
  }

  // The trigger for a views.open by a token of `teamId`, used up; else the
  // error Slack gives.
  exchangeTrigger(value, teamId, nowMs = Date.now()) {
    const trigger = this.triggers.get(String(value));
    if (!trigger || trigger.team_id !== teamId) throw new SlackError('invalid_trigger_id');
    if (trigger.used) throw new SlackError('exchanged_trigger_id');
    if (nowMs - trigger.issued_ms > this.config.trigger_ttl_ms) throw new SlackError('expired_trigger_id');
    trigger.used = true;
    return trigger;
  }

  // ---- views ---------------------------------------------------------------------

  // record: {view (Slack's view object), team_id, user_id, state, values, …}
  addView(record) {
    this.views.set(record.view.id, record);
    return record;
  }

  viewByExternalId(teamId, externalId) {
    for (const record of this.views.values()) {
      if (record.team_id === teamId && externalId && record.view.external_id === externalId) return record;
    }
    return null;
  }

  // The views of one modal stack (same root view), the given one included.
  stack(record) {
    return [...this.views.values()].filter((other) => other.view.root_view_id === record.view.root_view_id);
  }

  // ---- response_url ----------------------------------------------------------------

  // context: {team_id, user_id, channel, message_ts, is_ephemeral, bot_user_id, bot_id, app_id}
  issueResponseUrl(context, nowMs = Date.now()) {
    const record = { ...context, path: newResponsePath(context.team_id), issued_ms: nowMs, uses: 0 };
    this.responseUrls.set(record.path, record);
    return record;
  }

  // The record of a response_url path, or the error its use gets.
  responseUrl(path, nowMs = Date.now()) {
    const record = this.responseUrls.get(path);
    if (!record) return { error: 'invalid_url' };
    if (nowMs - record.issued_ms > this.config.response_url_ttl_ms) return { error: 'expired_url' };
    if (record.uses >= this.config.response_url_max_uses) return { error: 'used_url' };
    return { record };
  }
}

module.exports = { InteractivityStore, DEFAULT_CONFIG };
