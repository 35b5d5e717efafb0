'use strict';
// The fake Slack's world: teams, tokens, users, channels, DMs and messages.
// Everything is in memory and reset through the control API.

const crypto = require('crypto');

function stableId(prefix, ...parts) {
  const hash = crypto.createHash('sha1').update(parts.join('\0')).digest('hex');
  return prefix + hash.slice(0, 10).toUpperCase();
}

function lower(text) {
  return String(text || '').toLowerCase();
}

function emailKey(teamId, email) {
  return `${teamId}\0${lower(email)}`;
}

// Slack-like message timestamps ("1732780800.000100"): unique and increasing.
class TsClock {
  constructor() {
    this.lastMicros = 0;
  }

  next() {
    const micros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    const seconds = Math.floor(micros / 1e6);
    return `${seconds}.${String(micros % 1e6).padStart(6, '0')}`;
  }
}

function teamRecord(spec) {
  const id = spec.team_id || spec.id;
  return { id, name: spec.name || id, domain: spec.domain || lower(id) };
}

// Scopes as an array, or as Slack writes them ("chat:write,im:write").
function scopeList(scopes) {
  if (Array.isArray(scopes)) return scopes.slice();
  return String(scopes || '').split(/[\s,]+/).filter(Boolean);
}

function tokenRecord(spec) {
  return {
    token: spec.token,
    team_id: spec.team_id,
    bot_user_id: spec.bot_user_id || stableId('U', 'bot', spec.token),
    bot_id: spec.bot_id || stableId('B', 'bot', spec.token),
    app_id: spec.app_id || 'A0FAKEAPP01',
    bot_name: spec.bot_name || 'approvals',
    scopes: scopeList(spec.scopes),
    revoked: false,
    revoked_error: null,
  };
}

function userRecord(spec) {
  return {
    id: spec.id,
    team_id: spec.team_id,
    name: spec.name || lower(spec.email).split('@')[0] || lower(spec.id),
    real_name: spec.real_name || spec.name || '',
    display_name: spec.display_name || spec.name || '',
    email: spec.email || null,
    deleted: Boolean(spec.deleted),
    is_bot: Boolean(spec.is_bot),
    bot_id: spec.bot_id || null,
    tz: spec.tz || 'Europe/Berlin',
  };
}

function channelRecord(spec) {
  return {
    id: spec.id,
    name: spec.name || lower(spec.id),
    team_id: spec.team_id,
    is_private: Boolean(spec.is_private) || String(spec.id).startsWith('G'),
    is_archived: Boolean(spec.is_archived),
    is_im: false,
    bot_member: spec.bot_member === undefined ? true : Boolean(spec.bot_member),
    members: Array.isArray(spec.members) ? spec.members.slice() : null,
    created: Math.floor(Date.now() / 1000),
  };
}

function dmRecord(teamId, userId) {
  return {
    id: stableId('D', teamId, userId),
    team_id: teamId,
    is_im: true,
    is_private: true,
    is_archived: false,
    bot_member: true,
    user: userId,
    members: [userId],
    created: Math.floor(Date.now() / 1000),
  };
}

class SlackState {
  constructor() {
    this.clock = new TsClock();
    this.onTokensChange = null; // --tokens-file (slack-token-file.js)
    this.reset();
  }

  tokensChanged() {
    if (this.onTokensChange) this.onTokensChange();
  }

  reset() {
    this.teams = new Map();
    this.tokens = new Map();
    this.users = new Map();
    this.userIdByEmail = new Map();
    this.channels = new Map();
    this.dms = new Map();
    this.messages = [];
    this.messageIndex = new Map();
  }

  addTeam(spec) {
    const team = teamRecord(spec);
    this.teams.set(team.id, team);
    return team;
  }

  ensureTeam(teamId) {
    return this.teams.get(teamId) || this.addTeam({ team_id: teamId });
  }

  // A token also brings its bot user into existence (users.info on the bot works).
  addToken(spec) {
    this.ensureTeam(spec.team_id);
    const token = tokenRecord(spec);
    this.tokens.set(token.token, token);
    if (!this.users.has(token.bot_user_id)) {
      this.addUser({ id: token.bot_user_id, team_id: token.team_id, name: token.bot_name,
        real_name: token.bot_name, is_bot: true, bot_id: token.bot_id });
    }
    this.tokensChanged();
    return token;
  }

  teamTokens(teamId) {
    return [...this.tokens.values()].filter((token) => token.team_id === teamId);
  }

  revokeToken(value, error = 'token_revoked') {
    const token = this.tokens.get(value);
    if (token) Object.assign(token, { revoked: true, revoked_error: error });
    if (token) this.tokensChanged();
    return token || null;
  }

  addUser(spec) {
    this.ensureTeam(spec.team_id);
    const user = userRecord(spec);
    this.users.set(user.id, user);
    if (user.email) this.userIdByEmail.set(emailKey(user.team_id, user.email), user.id);
    return user;
  }

  addChannel(spec) {
    this.ensureTeam(spec.team_id);
    const channel = channelRecord(spec);
    this.channels.set(channel.id, channel);
    return channel;
  }

  teamUser(teamId, userId) {
    const user = this.users.get(userId);
    return user && user.team_id === teamId ? user : null;
  }

  // Deactivated users are not found by e-mail (as on Slack).
  userByEmail(teamId, email) {
    const user = this.users.get(this.userIdByEmail.get(emailKey(teamId, email)));
    const current = user && user.email && emailKey(user.team_id, user.email) === emailKey(teamId, email);
    return current && !user.deleted ? user : null;
  }

  // Returns {channel, existed}.
  openDm(teamId, userId) {
    const dm = dmRecord(teamId, userId);
    const existing = this.dms.get(dm.id);
    if (existing) return { channel: existing, existed: true };
    this.dms.set(dm.id, dm);
    return { channel: dm, existed: false };
  }

  channelByName(teamId, name) {
    const wanted = lower(name.replace(/^#/, ''));
    for (const channel of this.channels.values()) {
      if (channel.team_id === teamId && lower(channel.name) === wanted) return channel;
    }
    return null;
  }

  // A channel reference as Slack accepts it: C…/G… id, #name, D… id, or a
  // user id (the bot's DM with that user).
  resolveChannel(teamId, ref) {
    const found = this.channels.get(ref) || this.dms.get(ref);
    if (found) return found.team_id === teamId ? found : null;
    const user = this.teamUser(teamId, ref);
    if (user && !user.deleted) return this.openDm(teamId, user.id).channel;
    return this.channelByName(teamId, ref);
  }

  nextTs() {
    return this.clock.next();
  }

  storeMessage(message) {
    this.messages.push(message);
    if (!message.is_ephemeral) this.messageIndex.set(`${message.channel}:${message.ts}`, message);
    return message;
  }

  findMessage(channelId, ts) {
    return this.messageIndex.get(`${channelId}:${ts}`) || null;
  }

  // A message by channel and ts, ephemeral ones too.
  anyMessage(channelId, ts) {
    return this.messages.find((message) => message.channel === channelId && message.ts === ts) || null;
  }

  deleteMessage(message) {
    this.messages = this.messages.filter((other) => other !== message);
    if (this.messageIndex.get(`${message.channel}:${message.ts}`) === message) {
      this.messageIndex.delete(`${message.channel}:${message.ts}`);
    }
  }

  // filter: {channel, ts, thread_ts, ephemeral: "true"|"false"}
  listMessages(filter = {}) {
    return this.messages.filter((message) => (!filter.channel || message.channel === filter.channel)
      && (!filter.ts || message.ts === filter.ts)
      && (!filter.thread_ts || message.thread_ts === filter.thread_ts)
      && (filter.ephemeral === undefined || String(message.is_ephemeral) === filter.ephemeral));
  }
}

module.exports = { SlackState, stableId, scopeList };
