'use strict';
// OAuth v2 of the fake Slack: the registry of app clients (id and secret),
// authorization codes (single use, valid 10 minutes) and oauth.v2.access,
// which exchanges a code for a new bot token in the state.

const crypto = require('crypto');
const { SlackError } = require('./slack-errors');
const { stableId, scopeList } = require('./slack-state');
const { ALNUM, randomFrom, randomDigits } = require('./slack-ids');

const CODE_TTL_S = 600;
const DEFAULT_APP_ID = 'A0FAKEAPP01';
const DEFAULT_SCOPES = Object.freeze(['chat:write', 'chat:write.public', 'im:write', 'users:read', 'users:read.email']);

// ---- values that look like Slack's -----------------------------------------

// "4724469134.4644010092847.232b4e6d…" (two numbers and 64 hex digits)
function newCode() {
  return `${randomDigits(10)}.${randomDigits(13)}.${crypto.randomBytes(32).toString('hex')}`;
}

// "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
function newBotToken() {
  return `xoxb-${randomDigits(11)}-${randomDigits(13)}-${randomFrom(ALNUM, 24)}`;
}

// ---- records ----------------------------------------------------------------

function clientRecord(spec) {
  return {
    client_id: String(spec.client_id),
    client_secret: String(spec.client_secret),
    app_id: spec.app_id || DEFAULT_APP_ID,
    redirect_uri: spec.redirect_uri || null,
  };
}

function codeRecord(spec, nowMs) {
  const ttl = spec.expires_in === undefined || spec.expires_in === null ? CODE_TTL_S : Number(spec.expires_in);
  const scopes = scopeList(spec.scopes);
  return {
    code: newCode(),
    client_id: spec.client_id || null,
    team_id: spec.team_id,
    team_name: spec.team_name || null,
    scopes: scopes.length ? scopes : DEFAULT_SCOPES.slice(),
    redirect_uri: spec.redirect_uri || null,
    authed_user: spec.authed_user || stableId('U', 'installer', spec.team_id),
    token: spec.token || newBotToken(),
    bot_user_id: spec.bot_user_id || null,
    issued_at_ms: nowMs,
    expires_at_ms: nowMs + ttl * 1000,
    used: false,
  };
}

// Clients, codes and the automatic authorize decision. reset() keeps only the
// client given on the command line.
class OAuthRegistry {
  constructor(cliClient) {
    this.cliClient = cliClient && cliClient.client_id ? clientRecord(cliClient) : null;
    this.reset();
  }

  reset() {
    this.clients = new Map();
    if (this.cliClient) this.clients.set(this.cliClient.client_id, { ...this.cliClient });
    this.codes = new Map();
    this.auto = null;
  }

  addClient(spec) {
    const client = clientRecord(spec);
    this.clients.set(client.client_id, client);
    return client;
  }

  client(id) {
    return (id && this.clients.get(String(id))) || null;
  }

  // spec: {team_id, team_name?, scopes?, redirect_uri?, authed_user?, token?,
  // bot_user_id?, client_id? (null: any client may redeem it), expires_in? (s)}
  issueCode(spec, nowMs = Date.now()) {
    const code = codeRecord(spec, nowMs);
    this.codes.set(code.code, code);
    return code;
  }

  // The code for this exchange, or a SlackError. A failed redirect check does
  // not use the code up; a successful exchange does.
  redeemCode(value, client, redirectUri, nowMs = Date.now()) {
    const code = value ? this.codes.get(String(value)) : null;
    if (!code || code.used || nowMs >= code.expires_at_ms) throw new SlackError('invalid_code');
    if (code.client_id && code.client_id !== client.client_id) throw new SlackError('invalid_code');
    if (code.redirect_uri && code.redirect_uri !== redirectUri) throw new SlackError('bad_redirect_uri');
    code.used = true;
    return code;
  }

  // decision: "allow" | "deny" | null (off)
  setAuto(spec) {
    this.auto = spec.decision ? { decision: spec.decision, team_id: spec.team_id || null,
      team_name: spec.team_name || null } : null;
    return this.auto;
  }

  dump() {
    const clients = [...this.clients.values()].map(({ client_secret, ...rest }) => rest);
    return { clients, codes: [...this.codes.values()], auto: this.auto };
  }
}

// ---- oauth.v2.access ----------------------------------------------------------

function basicCredentials(header) {
  const match = /^Basic\s+(\S+)\s*$/i.exec(header || '');
  if (!match) return null;
  const text = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? { id: text, secret: '' } : { id: text.slice(0, colon), secret: text.slice(colon + 1) };
}

// HTTP Basic first (what Slack recommends), else client_id / client_secret arguments.
function clientCredentials(headers, args) {
  return basicCredentials(headers.authorization)
    || { id: args.client_id || '', secret: args.client_secret || '' };
}

function authenticateClient(oauth, headers, args) {
  const credentials = clientCredentials(headers, args);
  const client = oauth.client(credentials.id);
  if (!client) throw new SlackError('invalid_client_id');
  if (credentials.secret !== client.client_secret) throw new SlackError('bad_client_secret');
  return client;
}

// The installation: the team (named as the code says) and a new bot token.
function installToken(state, client, code) {
  const team = state.teams.get(code.team_id) || state.addTeam({ team_id: code.team_id });
  if (code.team_name) team.name = code.team_name;
  return state.addToken({
    token: code.token,
    team_id: team.id,
    app_id: client.app_id,
    bot_user_id: code.bot_user_id || stableId('U', 'bot', team.id, client.app_id),
    bot_id: stableId('B', 'bot', team.id, client.app_id),
    scopes: code.scopes,
  });
}

function installAnswer(state, token, code) {
  const team = state.teams.get(token.team_id);
  return {
    access_token: token.token,
    token_type: 'bot',
    scope: token.scopes.join(','),
    bot_user_id: token.bot_user_id,
    app_id: token.app_id,
    team: { name: team.name, id: team.id },
    enterprise: null,
    authed_user: { id: code.authed_user },
    is_enterprise_install: false,
  };
}

// ctx: {args, headers, oauth, state}
function oauthV2Access(ctx) {
  const client = authenticateClient(ctx.oauth, ctx.headers, ctx.args);
  const grantType = ctx.args.grant_type;
  if (grantType !== undefined && grantType !== 'authorization_code') throw new SlackError('invalid_grant_type');
  const code = ctx.oauth.redeemCode(ctx.args.code, client, ctx.args.redirect_uri);
  return installAnswer(ctx.state, installToken(ctx.state, client, code), code);
}

module.exports = { OAuthRegistry, oauthV2Access, DEFAULT_SCOPES, CODE_TTL_S };
