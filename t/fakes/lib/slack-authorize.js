'use strict';
// The fake Slack's OAuth authorize page, on the main port:
//   GET  /oauth/v2/authorize?client_id&scope&redirect_uri&state[&team]
//        -> HTML consent form (workspace id / name, Allow / Cancel), or with
//           the automatic decision set, a 302 straight to the redirect URI
//   POST /oauth/v2/authorize/decide (the form)
//        -> 302 redirect_uri?code=…&state=… or ?error=access_denied&state=…
// Problems Slack shows as an error page (unknown client, no scopes, no
// redirect URI) answer HTML with status 400.

const { readBody, parseForm } = require('./http-util');
const { callRecord, answerRecorded } = require('./slack-api');

const AUTHORIZE_PATH = '/oauth/v2/authorize';
const DECIDE_PATH = '/oauth/v2/authorize/decide';
const DEFAULT_TEAM = Object.freeze({ id: 'T0SANDBOX1', name: 'Sandbox' });
const CARRIED = ['client_id', 'scope', 'user_scope', 'redirect_uri', 'state', 'team'];

// ---- HTML -----------------------------------------------------------------------

function escapeHtml(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function htmlPage(title, body) {
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n`
    + `<body>\n${body}\n</body></html>\n`;
}

function errorPage(status, code, message) {
  const body = `<h1>Something went wrong</h1>\n<p class="error" data-error="${escapeHtml(code)}">`
    + `${escapeHtml(message)} (${escapeHtml(code)})</p>`;
  return { status, body: htmlPage('Slack: error', body), headers: {} };
}

function hiddenFields(params) {
  return CARRIED.filter((name) => params[name] !== undefined)
    .map((name) => `<input type="hidden" name="${name}" value="${escapeHtml(params[name])}">`).join('\n');
}

function consentPage(client, params) {
  const team = params.team || DEFAULT_TEAM.id;
  const scopes = scopeNames(params).map((scope) => `<li>${escapeHtml(scope)}</li>`).join('');
  const body = `<h1>App ${escapeHtml(client.app_id)} is requesting permission to access the workspace</h1>
<ul class="scopes">${scopes}</ul>
<form method="post" action="${DECIDE_PATH}">
${hiddenFields(params)}
<label>Workspace id <input type="text" name="team_id" value="${escapeHtml(team)}"></label>
<label>Workspace name <input type="text" name="team_name" value="${escapeHtml(DEFAULT_TEAM.name)}"></label>
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Cancel</button>
</form>`;
  return { status: 200, body: htmlPage('Slack: authorize app', body), headers: {} };
}

// ---- the request -------------------------------------------------------------------

function scopeNames(params) {
  return String(params.scope || '').split(/[\s,]+/).filter(Boolean);
}

function withQuery(uri, fields) {
  const query = Object.entries(fields).filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&');
  const hash = uri.indexOf('#');
  const base = hash < 0 ? uri : uri.slice(0, hash);
  const separator = base.includes('?') ? (/[?&]$/.test(base) ? '' : '&') : '?';
  return base + separator + query;
}

function redirect(uri, fields) {
  return { status: 302, body: '', headers: { Location: withQuery(uri, fields) } };
}

// {client, target} for a valid request, else {page} (an error page).
function checkRequest(oauth, params) {
  const client = oauth.client(params.client_id);
  if (!client) return { page: errorPage(400, 'invalid_client_id', 'Invalid client_id parameter') };
  if (!scopeNames(params).length) return { page: errorPage(400, 'invalid_scope', 'No scopes were requested') };
  const target = params.redirect_uri || client.redirect_uri;
  if (!target) return { page: errorPage(400, 'bad_redirect_uri', 'No redirect_uri was given') };
  return { client, target };
}

// The code remembers redirect_uri only when the request carried one (oauth.v2.access
// must then send the same).
function decide(oauth, client, target, params, decision) {
  if (decision.decision !== 'allow') return redirect(target, { error: 'access_denied', state: params.state });
  const teamId = decision.team_id || params.team || DEFAULT_TEAM.id;
  const code = oauth.issueCode({
    client_id: client.client_id,
    team_id: teamId,
    team_name: decision.team_name || (teamId === DEFAULT_TEAM.id ? DEFAULT_TEAM.name : null),
    scopes: scopeNames(params),
    redirect_uri: params.redirect_uri || null,
  });
  return redirect(target, { code: code.code, state: params.state });
}

function authorizeAnswer(oauth, params) {
  const checked = checkRequest(oauth, params);
  if (checked.page) return checked.page;
  if (!oauth.auto) return consentPage(checked.client, params);
  return decide(oauth, checked.client, checked.target, params, oauth.auto);
}

function decideAnswer(oauth, params) {
  const checked = checkRequest(oauth, params);
  if (checked.page) return checked.page;
  if (params.decision !== 'allow' && params.decision !== 'deny') {
    return errorPage(400, 'invalid_decision', 'Choose Allow or Cancel');
  }
  return decide(oauth, checked.client, checked.target, params, params);
}

// ---- dispatch ----------------------------------------------------------------------

const PAGES = {
  [AUTHORIZE_PATH]: { method: 'GET', answer: authorizeAnswer },
  [DECIDE_PATH]: { method: 'POST', answer: decideAnswer },
};

function isAuthorizePath(pathname) {
  return Object.prototype.hasOwnProperty.call(PAGES, pathname);
}

// Recorded like Web API calls, with `method` "oauth/v2/authorize" or
// "oauth/v2/authorize/decide".
async function handleAuthorize(fake, req, res, url) {
  const page = PAGES[url.pathname];
  const raw = await readBody(req);
  const args = { ...parseForm(url.search), ...(req.method === 'POST' ? parseForm(raw.toString('utf8')) : {}) };
  await answerRecorded(fake, res, callRecord(req, url, url.pathname.slice(1), raw, { args }), () => (
    req.method === page.method
      ? page.answer(fake.oauth, args)
      : { ...errorPage(405, 'method_not_allowed', `Use ${page.method}`), headers: { Allow: page.method } }));
}

module.exports = { handleAuthorize, isAuthorizePath, withQuery, AUTHORIZE_PATH, DECIDE_PATH, DEFAULT_TEAM };
