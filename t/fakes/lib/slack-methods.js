'use strict';
// The table of Web API methods the fake serves. A method is one entry:
//   scopes:   scopes the token needs (array, or function of the arguments)
//   required: arguments that must be present (absent -> invalid_arguments)
//   get:      whether GET is accepted as well as POST
//   json:     whether a JSON body is read (Slack ignores JSON for some methods)
//   auth:     whether a token is needed (false: no token step, ctx.token null)
//   handler:  (ctx) -> fields of the ok:true answer; throws SlackError

const { SlackError } = require('./slack-errors');
const { stableId } = require('./slack-state');
const chat = require('./slack-chat');
const { oauthV2Access } = require('./slack-oauth');
const { viewsOpen, viewsUpdate } = require('./slack-views');

const METHODS = new Map();

function register(name, spec) {
  METHODS.set(name, { scopes: [], required: [], get: false, json: true, auth: true, ...spec });
}

function isTrue(value) {
  return value === true || value === 'true' || value === '1' || value === 1;
}

// ---- auth.test -----------------------------------------------------------

function authTest(ctx) {
  return {
    url: `https://${ctx.team.domain}.slack.com/`,
    team: ctx.team.name,
    user: ctx.token.bot_name,
    team_id: ctx.team.id,
    user_id: ctx.token.bot_user_id,
    bot_id: ctx.token.bot_id,
    is_enterprise_install: false,
  };
}

// ---- auth.revoke -----------------------------------------------------------

// test=1 checks the token and revokes nothing.
function authRevoke(ctx) {
  if (isTrue(ctx.args.test)) return { revoked: false };
  ctx.state.revokeToken(ctx.token.token, 'token_revoked');
  return { revoked: true };
}

// ---- users.* -------------------------------------------------------------

function userView(user, includeLocale) {
  const profile = {
    real_name: user.real_name,
    display_name: user.display_name,
    real_name_normalized: user.real_name,
    display_name_normalized: user.display_name,
    team: user.team_id,
  };
  if (user.email) profile.email = user.email;
  if (user.bot_id) profile.bot_id = user.bot_id;
  const view = {
    id: user.id, team_id: user.team_id, name: user.name, deleted: user.deleted, color: '9f69e7',
    real_name: user.real_name, tz: user.tz, tz_label: 'Central European Time', tz_offset: 3600,
    profile, is_admin: false, is_owner: false, is_primary_owner: false, is_restricted: false,
    is_ultra_restricted: false, is_bot: user.is_bot, is_app_user: false, updated: 1700000000,
  };
  if (includeLocale) view.locale = 'en-US';
  return view;
}

function lookupByEmail(ctx) {
  const user = ctx.state.userByEmail(ctx.team.id, ctx.args.email);
  if (!user) throw new SlackError('users_not_found');
  return { user: userView(user) };
}

function usersInfo(ctx) {
  const user = ctx.state.teamUser(ctx.team.id, ctx.args.user);
  if (!user) throw new SlackError('user_not_found');
  return { user: userView(user, isTrue(ctx.args.include_locale)) };
}

// ---- conversations.open ------------------------------------------------

const MAX_CONVERSATION_USERS = 8;

function userList(args) {
  return String(args.users || '').split(',').map((id) => id.trim()).filter(Boolean);
}

function conversationScopes(args) {
  return userList(args).length > 1 ? ['mpim:write'] : ['im:write'];
}

function imView(channel, full) {
  if (!full) return { id: channel.id };
  return {
    id: channel.id, created: channel.created, is_im: true, is_org_shared: false, user: channel.user,
    last_read: '0000000000.000000', latest: null, unread_count: 0, unread_count_display: 0,
    is_open: true, priority: 0,
  };
}

function activeUser(ctx, id) {
  const user = ctx.state.teamUser(ctx.team.id, id);
  if (!user) throw new SlackError('user_not_found');
  if (user.deleted) throw new SlackError('user_disabled');
  return user;
}

function openMpim(ctx, ids) {
  const id = stableId('G', ctx.team.id, ...ids.slice().sort());
  const existed = ctx.state.dms.has(id);
  if (!existed) {
    ctx.state.dms.set(id, { id, team_id: ctx.team.id, is_im: false, is_mpim: true, is_private: true,
      is_archived: false, bot_member: true, members: ids, created: Math.floor(Date.now() / 1000) });
  }
  return { channel: ctx.state.dms.get(id), existed };
}

function openAnswer(opened, full) {
  const answer = { channel: imView(opened.channel, full && opened.channel.is_im) };
  return opened.existed ? { no_op: true, already_open: true, ...answer } : answer;
}

function conversationsOpen(ctx) {
  const full = isTrue(ctx.args.return_im);
  if (ctx.args.channel) {
    const channel = ctx.state.dms.get(ctx.args.channel);
    if (!channel || channel.team_id !== ctx.team.id) throw new SlackError('channel_not_found');
    return openAnswer({ channel, existed: true }, full);
  }
  if (ctx.args.users === undefined) throw new SlackError('users_list_not_supplied');
  const ids = userList(ctx.args);
  if (ids.length === 0) throw new SlackError('user_not_found');
  if (ids.length > MAX_CONVERSATION_USERS) throw new SlackError('too_many_users');
  ids.forEach((id) => activeUser(ctx, id));
  const opened = ids.length === 1 ? ctx.state.openDm(ctx.team.id, ids[0]) : openMpim(ctx, ids);
  return openAnswer(opened, full);
}

// ---- the table -----------------------------------------------------------

register('auth.test', { get: true, handler: authTest });
register('auth.revoke', { get: true, json: false, handler: authRevoke });
register('oauth.v2.access', { auth: false, json: false, handler: oauthV2Access });
register('conversations.open', { get: true, scopes: conversationScopes, handler: conversationsOpen });
register('chat.postMessage', { scopes: ['chat:write'], required: ['channel'], handler: chat.postMessage });
register('chat.update', { scopes: ['chat:write'], required: ['channel', 'ts'], handler: chat.updateMessage });
register('chat.postEphemeral', {
  scopes: ['chat:write'], required: ['channel', 'user'], handler: chat.postEphemeral,
});
register('users.lookupByEmail', {
  get: true, json: false, scopes: ['users:read.email'], required: ['email'], handler: lookupByEmail,
});
register('users.info', { get: true, json: false, scopes: ['users:read'], required: ['user'], handler: usersInfo });
register('views.open', { required: ['view'], handler: viewsOpen });
register('views.update', { required: ['view'], handler: viewsUpdate });

module.exports = { METHODS, register, userView, isTrue };
