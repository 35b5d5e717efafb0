'use strict';
// Shared by the browser tests: the environment scripts/test.sh exports (via
// t/browser.t), the database (psql, history rows), the fake Slack's control
// API, the module's admin API, and Debian's chromium driven by playwright-core.
//
// Every test gets a fresh browser context (no cookies, no cached Basic auth);
// a failing test leaves a screenshot, the page's HTML and a Playwright trace in
// $SAP_BROWSER_ARTIFACTS (under $SAP_RUN_DIR, kept when make test fails).

const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { chromium } = require('playwright-core');

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the browser tests through make test (t/browser.t)`);
  }
  return value;
}

const BASE_URL = required('SAP_BASE_URL');                       // http://localhost:PORT (Apache::Test)
const MODULE_URL = `${BASE_URL}/slack-approvals`;                // SlackApprovalsPublicURL
const SETTINGS_URL = `${MODULE_URL}/admin/settings/`;
const CALLBACK_URL = `${MODULE_URL}/slack/oauth/callback`;
const EVENTS_URL = `${MODULE_URL}/slack/events`;
const FAKE_SLACK_URL = `http://127.0.0.1:${required('SAP_FAKE_SLACK_PORT')}`;
const DB_PARAMS = required('SAP_TEST_DBPARAMS');
const ADMIN = { username: 'admin', password: process.env.SAP_ADMIN_PASSWORD || 'admin-password' };
const ARTIFACTS = process.env.SAP_BROWSER_ARTIFACTS || '';
// SAP_BROWSER_SHOTS=DIR: a screenshot of every case's last state, passed or not
// (for looking at the page; make test leaves it unset).
const SHOTS = process.env.SAP_BROWSER_SHOTS || '';
const CHROMIUM = process.env.SAP_CHROMIUM || '/usr/bin/chromium';

// ---- PostgreSQL ----------------------------------------------------------------

function psql(sql) {
  return execFileSync('psql', [DB_PARAMS, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// The columns of sap_notification_history a test may give (sql/001_init.sql,
// sql/003_dispatch.sql); the others are NULL, created_at defaults to now().
const HISTORY_COLUMNS = ['created_at', 'event_id', 'product', 'notification_type', 'approval_id', 'step_id',
  'recipient', 'recipient_name', 'delegate_of', 'kind', 'slack_user_id', 'channel', 'status', 'error',
  'fallback'];

// Inserts history rows ([{status, recipient, …}], keys as the columns above)
// in one statement. The JSON travels as one dollar-quoted literal, so any
// text in it (quotes, markup) arrives as it is.
function insertHistory(rows) {
  const json = JSON.stringify(rows);
  if (json.includes('$sap_rows$')) {
    throw new Error('insertHistory: the rows contain the quoting tag $sap_rows$');
  }
  for (const row of rows) {
    const unknown = Object.keys(row).filter((key) => !HISTORY_COLUMNS.includes(key));
    if (unknown.length) {
      throw new Error(`insertHistory: unknown column(s) ${unknown.join(', ')}`);
    }
  }
  const values = HISTORY_COLUMNS.map((c) => (c === 'created_at' ? 'coalesce(r.created_at, now())' : `r.${c}`));
  psql(`INSERT INTO sap_notification_history (${HISTORY_COLUMNS.join(', ')}) `
       + `SELECT ${values.join(', ')} `
       + `FROM json_populate_recordset(NULL::sap_notification_history, $sap_rows$${json}$sap_rows$) AS r`);
}

// ---- HTTP ------------------------------------------------------------------------

async function jsonCall(method, url, { body, headers = {}, redirect = 'follow' } = {}) {
  const init = { method, headers: { ...headers }, redirect };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { json = null; }
  return { status: res.status, headers: res.headers, json, text };
}

// The fake Slack's control API (t/fakes/README.md); throws on a non-2xx answer.
async function slack(method, controlPath, body) {
  const res = await jsonCall(method, `${FAKE_SLACK_URL}/_control/${controlPath}`, { body });
  if (res.status < 200 || res.status > 299) {
    throw new Error(`fake Slack ${method} /_control/${controlPath}: ${res.status} ${res.text}`);
  }
  return res.json;
}

function basicAuth() {
  return `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
}

// The module's admin API (path below /slack-approvals), as the admin.
function admin(method, apiPath, body) {
  return jsonCall(method, `${MODULE_URL}${apiPath}`, {
    body: body === undefined && method !== 'GET' ? {} : body,
    headers: { Authorization: basicAuth() },
  });
}

// ---- state ---------------------------------------------------------------------------

// No workspace, no OAuth state, no instance error, no notification history,
// the notification settings back to their defaults (native, direct messages,
// no default channel); the fake Slack emptied. The module keeps its
// connection list and settings in the shared cache (5 minutes): TRUNCATE and
// UPDATE go behind its back, so the operators' DELETE
// /admin/api/diagnostics/cache drops what the module cached.
async function reset() {
  psql('TRUNCATE sap_connections, sap_oauth_states, sap_instance_errors, sap_notification_history CASCADE; '
       + "UPDATE sap_settings SET mechanism = 'native', delivery_mode = 'dm', default_channel = NULL, "
       + 'default_channel_name = NULL');
  await slack('POST', 'reset', {});
  const flush = await admin('DELETE', '/admin/api/diagnostics/cache', {});
  if (flush.status !== 200) {
    throw new Error(`cache flush answered ${flush.status} ${flush.text}`);
  }
  const list = await admin('GET', '/admin/api/connections');
  if (list.status !== 200 || list.json.connections.length !== 0) {
    throw new Error(`after the reset the module still lists connections: ${list.status} ${list.text}`);
  }
}

// A whole install through the module's endpoints without a browser (the code
// minted by the fake, as t/lib/SAP/Slack.pm's install_team does). Returns
// {query, token, connection}.
async function installTeam(teamId, teamName) {
  const start = await jsonCall('GET', `${MODULE_URL}/admin/slack/install`, {
    headers: { Authorization: basicAuth() }, redirect: 'manual',
  });
  if (start.status !== 302) {
    throw new Error(`install did not redirect: ${start.status} ${start.text}`);
  }
  const state = new URL(start.headers.get('location')).searchParams.get('state');
  const minted = await slack('POST', 'oauth/codes', { team_id: teamId, team_name: teamName, redirect_uri: CALLBACK_URL });
  const callback = new URL(CALLBACK_URL);
  callback.searchParams.set('code', minted.code);
  callback.searchParams.set('state', state);
  const done = await jsonCall('GET', callback.href, { redirect: 'manual' });
  const query = Object.fromEntries(new URL(done.headers.get('location') || '', BASE_URL).searchParams);
  if (query.slack_install !== 'ok') {
    throw new Error(`install of ${teamId} failed: ${done.status} ${done.headers.get('location')}`);
  }
  const list = await admin('GET', '/admin/api/connections');
  const connection = list.json.connections.find((c) => c.team_id === teamId);
  return { query, token: minted.token, connection };
}

// ---- the browser ------------------------------------------------------------------------

let browserPromise = null;

function browser() {
  if (!browserPromise) {
    browserPromise = chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    });
  }
  return browserPromise;
}

async function closeBrowser() {
  if (browserPromise) {
    const b = await browserPromise;
    browserPromise = null;
    await b.close();
  }
}

function slug(name) {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80);
}

// Wraps a test body: fn({page, context}) with a fresh context logged in as
// the admin; on failure the artifacts are written, then the error rethrown.
function withPage(fn, { viewport = { width: 1024, height: 768 } } = {}) {
  return async (t) => {
    const b = await browser();
    const context = await b.newContext({ httpCredentials: ADMIN, viewport });
    context.setDefaultTimeout(15000);
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
    if (ARTIFACTS) {
      await context.tracing.start({ screenshots: true, snapshots: true });
    }
    try {
      await fn({ page, context, consoleErrors });
      if (SHOTS) {
        fs.mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, `${slug(t.name)}.png`), fullPage: true });
      }
      if (ARTIFACTS) {
        await context.tracing.stop();
      }
    } catch (err) {
      if (ARTIFACTS) {
        const base = path.join(ARTIFACTS, slug(t.name));
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: `${base}.png`, fullPage: true }).catch(() => {});
        await page.content().then((html) => fs.writeFileSync(`${base}.html`, html)).catch(() => {});
        await context.tracing.stop({ path: `${base}.trace.zip` }).catch(() => {});
        fs.writeFileSync(`${base}.console.txt`, consoleErrors.join('\n'));
        t.diagnostic(`screenshot, HTML and trace in ${base}.*`);
      }
      throw err;
    } finally {
      await context.close();
    }
  };
}

module.exports = {
  BASE_URL, MODULE_URL, SETTINGS_URL, CALLBACK_URL, EVENTS_URL, FAKE_SLACK_URL, ADMIN,
  psql, insertHistory, slack, admin, reset, installTeam, browser, closeBrowser, withPage,
};
