/* The settings page of mod_slack_approvals: plain JavaScript, no framework.
 *
 * Two tabs: General (the Slack workspaces, then the notification settings)
 * and Notification history. It talks to the module's admin JSON API relative
 * to its own address ({base}/admin/settings/ → {base}/admin/api/…), with the
 * browser's own credentials for the admin Location (same origin). Every text
 * that comes from the server or the address bar goes into the page with
 * textContent, never as HTML. */
'use strict';

(() => {
  /* The spec's "frontend connections (30s)": the list (and the open instance
   * errors that go with it) is reused for 30 seconds, and dropped after any
   * write this page makes. */
  const CACHE_TTL_MS = 30 * 1000;

  const STATUS_LABELS = { active: 'Active', revoked: 'Revoked', uninstalled: 'Uninstalled' };
  const ERROR_KIND_LABELS = { token_revoked: 'Token revoked', app_uninstalled: 'App uninstalled' };
  const EMAIL_RE = /^[^\s@]+@[^\s@]+$/;

  /* ---- where we are ---- */

  // {base}/admin/ — the admin part of SlackApprovalsPublicURL's path.
  const adminBase = (() => {
    const path = window.location.pathname;
    const at = path.lastIndexOf('/admin/settings');
    return at >= 0 ? path.slice(0, at) + '/admin/' : new URL('../', window.location.href).pathname;
  })();
  const apiBase = adminBase + 'api/';
  const moduleBase = adminBase.replace(/admin\/$/, '');
  const callbackURL = window.location.origin + moduleBase + 'slack/oauth/callback';

  const $ = (id) => document.getElementById(id);

  /* ---- the admin API ---- */

  class ApiError extends Error {
    constructor(status, data, message) {
      super(message);
      this.status = status;
      this.data = data || {};
    }
  }

  function describeFailure(status, data) {
    if (data && typeof data.message === 'string' && data.message) {
      return data.message;
    }
    if (status === 401 || status === 403) {
      return `You are not signed in as an admin (HTTP ${status}): reload the page to sign in again.`;
    }
    if (status === 404) {
      return 'Not found (HTTP 404): the workspace may have been deleted meanwhile. Reload the page.';
    }
    return `The server answered HTTP ${status}. Try again later; the web server's error log has details.`;
  }

  async function callApi(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (method !== 'GET') {
      // The module refuses state-changing calls without a JSON content type (415).
      headers['Content-Type'] = 'application/json';
      if (body !== undefined) {
        init.body = JSON.stringify(body);
      }
    }
    let response;
    try {
      response = await fetch(apiBase + path, init);
    } catch (err) {
      throw new ApiError(0, null, 'The server could not be reached. Check the network connection and try again.');
    }
    let data = null;
    if ((response.headers.get('Content-Type') || '').includes('json')) {
      try {
        data = await response.json();
      } catch (err) {
        data = null;
      }
    }
    if (!response.ok) {
      throw new ApiError(response.status, data, describeFailure(response.status, data));
    }
    return data || {};
  }

  /* ---- the cached state ---- */

  let cached = null;     // {connections, limit, installURL, errors, errorsFailed, at}
  let loading = null;    // the request in flight, shared by every caller

  function dropCache() {
    cached = null;
  }

  async function fetchState() {
    const [list, errors] = await Promise.allSettled([callApi('GET', 'connections'), callApi('GET', 'errors')]);
    if (list.status === 'rejected') {
      throw list.reason;
    }
    return {
      connections: Array.isArray(list.value.connections) ? list.value.connections : [],
      limit: Number.isInteger(list.value.limit) ? list.value.limit : 10,
      installURL: safeLink(list.value.install_url),
      errors: errors.status === 'fulfilled' && Array.isArray(errors.value.errors) ? errors.value.errors : [],
      errorsFailed: errors.status === 'rejected',
      at: Date.now(),
    };
  }

  // The state, from the cache while it is younger than 30 s.
  function loadState() {
    if (cached && Date.now() - cached.at < CACHE_TTL_MS) {
      return Promise.resolve(cached);
    }
    if (!loading) {
      loading = fetchState()
        .then((state) => { cached = state; return state; })
        .finally(() => { loading = null; });
    }
    return loading;
  }

  let shown = null;   // the state on screen

  async function refresh() {
    const listStatus = $('list-status');
    try {
      const state = await loadState();
      if (state !== shown) {
        shown = state;
        render(state);
      }
    } catch (err) {
      listStatus.textContent = `The workspaces could not be loaded: ${err.message}`;
      listStatus.classList.add('is-error');
      listStatus.hidden = false;
    }
  }

  // After a write: forget the cache and show the server's view.
  function reload() {
    dropCache();
    return refresh();
  }

  /* ---- formatting ---- */

  function formatTime(iso) {
    if (!iso) {
      return '';
    }
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) {
      return String(iso);
    }
    return when.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }

  // Links from the server's answers: http(s) only, else the install endpoint.
  function safeLink(url) {
    try {
      const parsed = new URL(url, window.location.href);
      if (parsed.protocol === 'https:' || parsed.protocol === 'http:') {
        return parsed.href;
      }
    } catch (err) {
      // fall through
    }
    return adminBase + 'slack/install';
  }

  function nameOf(conn) {
    return conn.display_name || conn.team_name || conn.team_id || `#${conn.id}`;
  }

  function setMessage(element, kind, text) {
    element.textContent = text || '';
    element.classList.toggle('is-error', kind === 'error');
    element.classList.toggle('is-success', kind === 'success');
  }

  /* ---- banners (install result, deletions) ---- */

  function showBanner(kind, title, text) {
    const area = $('banner-area');
    area.replaceChildren();
    const banner = document.createElement('div');
    banner.className = `banner banner-${kind}`;
    if (kind === 'error') {
      banner.setAttribute('role', 'alert');
    }
    const body = document.createElement('div');
    body.className = 'banner-body';
    const strong = document.createElement('p');
    strong.className = 'banner-title';
    strong.textContent = title;
    body.append(strong);
    if (text) {
      const p = document.createElement('p');
      p.className = 'banner-text';
      p.textContent = text;
      body.append(p);
    }
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'banner-close';
    close.setAttribute('aria-label', 'Dismiss this message');
    close.textContent = '×';
    close.addEventListener('click', () => banner.remove());
    banner.append(body, close);
    area.append(banner);
  }

  const START_AGAIN = 'Start again with "Connect a Slack workspace".';
  const UNREACHABLE = 'Slack could not be reached from the server, so the workspace was not connected. '
    + 'Check that the web server can reach Slack (outbound HTTPS, proxy, DNS), then try again.';

  // One sentence per reason the module's OAuth callback can give.
  const INSTALL_ERRORS = {
    access_denied: 'You cancelled the installation on Slack\'s page, so no workspace was connected. '
      + 'Connect again and choose "Allow" to finish it.',
    invalid_state: 'The install link is not valid (it did not start from this page, or it was changed). '
      + START_AGAIN,
    expired_state: 'The install link expired: an installation must be finished within 10 minutes of '
      + `starting it. ${START_AGAIN}`,
    used_state: `The install link was already used: each one works once. ${START_AGAIN}`,
    other_admin: 'This installation was started by another admin, so it was not finished under your name. '
      + START_AGAIN,
    missing_code: `Slack sent the browser back without an authorization code. ${START_AGAIN}`,
    missing_scope: 'The app was not granted all the permissions (OAuth scopes) it needs. Check the '
      + 'Slack app\'s scopes (or its manifest, conf/slack-app-manifest.yaml) and install it again.',
    limit_reached: 'At most 10 workspaces can be connected. Delete one first, then connect the new one.',
    team_mismatch: 'Slack\'s token belongs to a different workspace than the one that was approved, so '
      + `nothing was saved. ${START_AGAIN}`,
    unavailable: 'The database could not be reached, so the workspace was not saved. Try again once the '
      + 'database is back (the module\'s /healthz tells).',
    slack_error: `Slack reported an error on its authorization page. ${START_AGAIN} If it happens again, `
      + 'check the Slack app\'s settings.',
    invalid_code: 'Slack did not accept the authorization code (it expired or was already used). '
      + START_AGAIN,
    bad_redirect_uri: 'Slack refused the redirect URL. The Redirect URL in the Slack app\'s OAuth settings '
      + `must equal SlackApprovalsPublicURL + /slack/oauth/callback (for this page: ${callbackURL}).`,
    invalid_client_id: 'Slack does not know the configured client ID: check SlackApprovalsClientID '
      + 'against the Slack app\'s Basic Information page.',
    bad_client_secret: 'Slack refused the client secret: check the file that SlackApprovalsClientSecretFile '
      + 'names against the Slack app\'s Basic Information page.',
    transport_error: UNREACHABLE,
    request_timeout: UNREACHABLE,
    http_error: UNREACHABLE,
    invalid_response: UNREACHABLE,
  };

  // ?slack_install=… from the module's OAuth callback: a banner, then the
  // query leaves the address bar (a reload does not repeat the banner).
  function showInstallResult() {
    const params = new URLSearchParams(window.location.search);
    const result = params.get('slack_install');
    if (!result) {
      return;
    }
    if (result === 'ok') {
      const team = params.get('team') || 'the workspace';
      const outcome = params.get('outcome');
      if (outcome === 'updated') {
        showBanner('success', `Updated ${team}.`, 'Its token and permissions were refreshed.');
      } else if (outcome === 'restored') {
        showBanner('success', `Re-authorised ${team}.`, 'Slack accepts its token again: notifications to it are back on.');
      } else {
        showBanner('success', `Connected workspace ${team}.`, 'Approval notifications can now go to it.');
      }
    } else if (result === 'error') {
      const reason = (params.get('reason') || '').slice(0, 100);
      const text = Object.prototype.hasOwnProperty.call(INSTALL_ERRORS, reason)
        ? INSTALL_ERRORS[reason]
        : `The workspace could not be connected (the reason given was "${reason || 'unknown'}"). Try again; `
          + 'the web server\'s error log has the details.';
      showBanner('error', 'The Slack workspace was not connected.', text);
    }
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.hash);
  }

  /* ---- confirmation ---- */

  function confirmAction(title, text, confirmLabel) {
    const dialog = $('confirm-dialog');
    if (typeof dialog.showModal !== 'function') {
      return Promise.resolve(window.confirm(`${title}\n\n${text}`));
    }
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = confirmLabel;
    dialog.returnValue = '';
    return new Promise((resolve) => {
      dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
      dialog.showModal();
    });
  }

  /* ---- rendering ---- */

  const rows = new Map();   // connection id → its <li>, kept across renders (open forms survive)

  function render(state) {
    const { connections, limit, installURL } = state;
    const count = connections.length;
    $('workspace-count').textContent = `${count} of ${limit} workspaces connected`;

    const link = $('connect-link');
    const disabled = $('connect-disabled');
    const note = $('connect-note');
    link.href = installURL;
    const full = count >= limit;
    link.hidden = full;
    disabled.hidden = !full;
    note.hidden = !full;
    note.textContent = full
      ? `${count} workspaces are connected, the most one instance can have. Delete one to connect another.`
      : '';

    const listStatus = $('list-status');
    listStatus.classList.remove('is-error');
    listStatus.textContent = count === 0
      ? 'No Slack workspace is connected yet. Connect one to send approval notifications to Slack.'
      : '';
    listStatus.hidden = count !== 0;

    const list = $('connection-list');
    const seen = new Set();
    connections.forEach((conn, index) => {
      seen.add(conn.id);
      let row = rows.get(conn.id);
      if (!row) {
        row = createRow(conn.id);
        rows.set(conn.id, row);
      }
      fillRow(row, conn, state);
      if (list.children[index] !== row) {
        list.insertBefore(row, list.children[index] || null);
      }
    });
    for (const [id, row] of rows) {
      if (!seen.has(id)) {
        row.remove();
        rows.delete(id);
      }
    }

    renderWarnings(state);
    workspacesChanged(connections);
  }

  function renderWarnings(state) {
    const open = state.errors.filter((e) => !e.resolved_at);
    const box = $('warnings');
    const list = $('warning-list');
    list.replaceChildren();
    for (const error of open) {
      const item = $('warning-template').content.firstElementChild.cloneNode(true);
      const team = error.team_name ? `${error.team_name} (${error.team_id})` : error.team_id || 'A workspace';
      item.querySelector('.warning-team').textContent =
        `${team}: ${ERROR_KIND_LABELS[error.kind] || error.kind || 'problem'}`;
      const time = item.querySelector('.warning-time');
      time.textContent = formatTime(error.created_at);
      time.title = error.created_at || '';
      item.querySelector('.warning-message').textContent = error.message || '';
      item.querySelector('.warning-action').textContent = error.action || '';
      const link = item.querySelector('.reauthorize-link');
      link.href = error.reauthorize_url ? safeLink(error.reauthorize_url) : state.installURL;
      link.setAttribute('aria-label', `Re-authorise ${error.team_name || error.team_id || 'this workspace'}`);
      list.append(item);
    }
    if (state.errorsFailed) {
      const item = document.createElement('li');
      item.className = 'warning';
      item.textContent = 'The list of workspace problems could not be loaded; reload the page to try again.';
      list.append(item);
    }
    box.hidden = list.children.length === 0;
  }

  function connectionById(id) {
    return shown && shown.connections.find((c) => c.id === id);
  }

  function fillRow(row, conn, state) {
    const name = nameOf(conn);
    row.dataset.connectionId = String(conn.id);
    row.dataset.teamId = conn.team_id || '';
    row.classList.toggle('is-inactive', conn.status !== 'active');
    row.querySelector('.connection-name').textContent = name;
    row.querySelector('.badge-default').hidden = !conn.is_default;
    const status = row.querySelector('.badge-status');
    status.textContent = STATUS_LABELS[conn.status] || conn.status || 'Unknown';
    status.className = `badge badge-status status-${conn.status === 'active' ? 'active' : 'inactive'}`;

    let team = conn.team_name && conn.team_name !== name ? `${conn.team_name} · ${conn.team_id}` : conn.team_id;
    if (conn.enterprise_id) {
      team += ` · Enterprise Grid ${conn.enterprise_id}`;
    }
    row.querySelector('.fact-team').textContent = team;
    const installed = row.querySelector('.fact-installed');
    installed.textContent = `${formatTime(conn.created_at)}${conn.installed_by ? ` by ${conn.installed_by}` : ''}`;
    installed.title = conn.created_at || '';

    const warning = row.querySelector('.connection-warning');
    warning.hidden = conn.status === 'active';
    if (conn.status !== 'active') {
      const why = conn.status === 'uninstalled'
        ? 'The app was removed from this workspace in Slack.'
        : `Slack revoked the token${conn.status_reason ? ` (${conn.status_reason})` : ''}.`;
      const since = conn.status_changed_at ? ` Since ${formatTime(conn.status_changed_at)}.` : '';
      row.querySelector('.connection-warning-text').textContent =
        `Slack no longer accepts this workspace's token. ${why}${since} Notifications for it fall back to `
        + 'email. Re-authorise the app for this workspace to restore it.';
      const link = row.querySelector('.reauthorize-link');
      link.href = state.installURL;
      link.setAttribute('aria-label', `Re-authorise ${name}`);
    }

    row.querySelector('.action-default').hidden = !!conn.is_default;
    for (const button of row.querySelectorAll('.connection-actions .button')) {
      const label = button.dataset.label || button.textContent;
      button.dataset.label = label;
      button.setAttribute('aria-label', `${label}: ${name}`);
    }
  }

  function createRow(id) {
    const row = $('connection-template').content.firstElementChild.cloneNode(true);
    const message = row.querySelector('.connection-message');
    const renameButton = row.querySelector('.action-rename');
    const testButton = row.querySelector('.action-test');
    const renameForm = row.querySelector('.rename-form');
    const testForm = row.querySelector('.test-form');
    const fieldIds = `connection-${id}`;
    renameForm.querySelector('input').id = `${fieldIds}-name`;
    testForm.querySelector('input').id = `${fieldIds}-target`;

    const toggleForm = (form, button, open) => {
      form.hidden = !open;
      button.setAttribute('aria-expanded', String(open));
      if (open) {
        form.querySelector('input').focus();
      }
    };

    renameButton.addEventListener('click', () => {
      const open = renameForm.hidden;
      if (open) {
        const conn = connectionById(id);
        renameForm.elements.display_name.value = conn ? nameOf(conn) : '';
        renameForm.elements.display_name.removeAttribute('aria-invalid');
      }
      toggleForm(renameForm, renameButton, open);
    });
    testButton.addEventListener('click', () => toggleForm(testForm, testButton, testForm.hidden));
    for (const [form, button] of [[renameForm, renameButton], [testForm, testButton]]) {
      form.querySelector('.form-cancel').addEventListener('click', () => {
        toggleForm(form, button, false);
        button.focus();
      });
    }

    renameForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = renameForm.elements.display_name;
      const newName = input.value.trim();
      busy(row, async () => {
        try {
          const conn = await callApi('PATCH', `connections/${id}`, { display_name: newName });
          input.removeAttribute('aria-invalid');
          toggleForm(renameForm, renameButton, false);
          setMessage(message, 'success', `Renamed to ${conn.display_name || newName}.`);
          await reload();
          renameButton.focus();
        } catch (err) {
          input.setAttribute('aria-invalid', 'true');
          setMessage(message, 'error', err.message);
          input.focus();
        }
      });
    });

    row.querySelector('.action-default').addEventListener('click', () => {
      busy(row, async () => {
        try {
          const conn = await callApi('POST', `connections/${id}/default`, {});
          setMessage(message, 'success', `${nameOf(conn)} is now the default workspace.`);
          await reload();
          renameButton.focus();   // the clicked button is hidden now
        } catch (err) {
          setMessage(message, 'error', err.message);
          if (err.status === 404) {
            await reload();
          }
        }
      });
    });

    testForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const input = testForm.elements.target;
      const target = input.value.trim();
      if (!target) {
        input.setAttribute('aria-invalid', 'true');
        setMessage(message, 'error', 'Enter a channel (such as C0123ABCDEF or #general) or an email address.');
        input.focus();
        return;
      }
      input.removeAttribute('aria-invalid');
      const body = EMAIL_RE.test(target) ? { email: target } : { channel: target };
      busy(row, async () => {
        setMessage(message, '', 'Sending…');
        try {
          const answer = await callApi('POST', `connections/${id}/test`, body);
          setMessage(message, 'success', body.email
            ? `Test message sent to ${body.email} (direct message ${answer.channel || ''}).`
            : `Test message sent to ${target}${answer.channel && answer.channel !== target ? ` (${answer.channel})` : ''}.`);
        } catch (err) {
          setMessage(message, 'error', err.message);
          if (err.data.connection_invalidated || err.status === 404) {
            await reload();   // the workspace is revoked now: show it
          }
        }
      });
    });

    row.querySelector('.action-delete').addEventListener('click', async () => {
      const conn = connectionById(id);
      const name = conn ? nameOf(conn) : 'this workspace';
      const ok = await confirmAction(`Delete ${name}?`,
        'Approval notifications stop going to this workspace, the connection is removed and Slack is '
        + 'asked to revoke its bot token. You can connect the workspace again later.',
        'Delete workspace');
      if (!ok) {
        row.querySelector('.action-delete').focus();
        return;
      }
      busy(row, async () => {
        try {
          const answer = await callApi('DELETE', `connections/${id}`);
          const revoked = answer.revoked
            ? 'Its bot token was revoked at Slack.'
            : 'Slack did not confirm that its bot token was revoked: to be sure, remove the app from '
              + 'the workspace in Slack.';
          await reload();
          let text = revoked;
          if (answer.default_connection_id) {
            const next = connectionById(answer.default_connection_id);
            text += ` ${next ? nameOf(next) : 'Another workspace'} is now the default workspace.`;
          }
          showBanner('success', `Deleted ${name}.`, text);
          $('workspaces-heading').focus();
        } catch (err) {
          setMessage(message, 'error', err.message);
          if (err.status === 404) {
            await reload();
          }
        }
      });
    });

    return row;
  }

  // Runs an action with the row's buttons disabled.
  async function busy(row, action) {
    const controls = row.querySelectorAll('button, input');
    row.setAttribute('aria-busy', 'true');
    controls.forEach((c) => { c.disabled = true; });
    try {
      await action();
    } finally {
      controls.forEach((c) => { c.disabled = false; });
      row.removeAttribute('aria-busy');
    }
  }

  /* ---- notification settings: GET / PUT /admin/api/settings ---- */

  const MECHANISM_LABELS = { native: 'Native', email: 'Email', slack: 'Slack' };
  const DELIVERY_LABELS = { dm: 'direct messages', channel: 'the channel', both: 'direct messages and the channel' };
  const SETTING_KEYS = ['mechanism', 'delivery_mode', 'default_channel'];
  const SETTING_NAMES = { mechanism: 'the notification mechanism', delivery_mode: 'the delivery mode',
    default_channel: 'the default channel' };

  const settingsForm = $('settings-form');
  const channelInput = $('default-channel');
  const settingsMessage = $('settings-message');

  // What the module last answered, in the form's terms (the channel as the
  // admin typed it). Saving sends only the keys whose field differs.
  let settingsBase = null;
  let settingsSaving = false;

  function channelShown(settings) {
    return settings.default_channel_name || settings.default_channel || '';
  }

  // "#approvals (C0APPROVALS)", or the id alone when it was typed as an id.
  function storedChannel(settings) {
    const name = settings.default_channel_name;
    return name && name !== settings.default_channel ? `${name} (${settings.default_channel})` : settings.default_channel;
  }

  function settingsFormValues() {
    return {
      mechanism: settingsForm.elements.mechanism.value,
      delivery_mode: settingsForm.elements.delivery_mode.value,
      default_channel: channelInput.value.trim(),
    };
  }

  function changedSettings() {
    const now = settingsFormValues();
    const body = {};
    for (const key of SETTING_KEYS) {
      if (now[key] !== settingsBase[key] && (key === 'default_channel' || now[key])) {
        body[key] = key === 'default_channel' && !now[key] ? null : now[key];
      }
    }
    return body;
  }

  function clearSettingError(key) {
    $(`setting-${key}-error`).textContent = '';
    for (const input of settingsForm.querySelectorAll(`[name="${key}"]`)) {
      input.removeAttribute('aria-invalid');
    }
  }

  function clearSettingErrors() {
    SETTING_KEYS.forEach(clearSettingError);
  }

  function renderSettingWarnings(warnings) {
    const list = $('settings-warning-list');
    list.replaceChildren();
    for (const warning of Array.isArray(warnings) ? warnings : []) {
      const item = document.createElement('li');
      item.className = 'warning';
      item.dataset.code = String(warning.code || '');
      item.textContent = warning.message || warning.code || '';
      list.append(item);
    }
    $('settings-warnings').hidden = list.children.length === 0;
  }

  // Shows the module's settings. merge: keep what the admin changed and has
  // not saved yet (a reload after an install or a workspace change).
  function applySettings(answer, merge) {
    const next = {
      mechanism: answer.mechanism || '',
      delivery_mode: answer.delivery_mode || '',
      default_channel: channelShown(answer),
    };
    const now = settingsBase ? settingsFormValues() : null;
    for (const key of SETTING_KEYS) {
      if (merge && now && now[key] !== settingsBase[key]) {
        continue;   // an unsaved change stays
      }
      if (key === 'default_channel') {
        channelInput.value = next[key];
      } else {
        settingsForm.elements[key].value = next[key];
      }
    }
    settingsBase = next;
    $('default-channel-stored').textContent = answer.default_channel
      ? `Stored: ${storedChannel(answer)}.`
      : 'No default channel is stored.';
    $('settings-updated').textContent = answer.updated_at
      ? `Last changed ${formatTime(answer.updated_at)}${answer.updated_by ? ` by ${answer.updated_by}` : ''}.`
      : '';
    renderSettingWarnings(answer.warnings);
    const status = $('settings-status');
    status.textContent = '';
    status.classList.remove('is-error');
    status.hidden = true;
    settingsForm.hidden = false;
  }

  async function loadSettings(merge = false) {
    if (settingsSaving) {
      return;   // the save's answer is the newer one
    }
    try {
      const answer = await callApi('GET', 'settings');
      if (!settingsSaving) {
        applySettings(answer, merge);
      }
    } catch (err) {
      if (settingsBase) {
        setMessage(settingsMessage, 'error', `The notification settings could not be reloaded: ${err.message}`);
      } else {
        const status = $('settings-status');
        status.textContent = `The notification settings could not be loaded: ${err.message}`;
        status.classList.add('is-error');
      }
    }
  }

  // A change of the workspaces (an install, the default, a revocation)
  // changes the settings too: the first install switches the mechanism to
  // Slack, and the warnings depend on the default workspace.
  let workspacesSeen = null;

  function workspacesChanged(connections) {
    const key = connections.map((c) => `${c.id}:${c.is_default ? 1 : 0}:${c.status}`).join(',');
    if (workspacesSeen !== null && key !== workspacesSeen) {
      loadSettings(true);
    }
    workspacesSeen = key;
  }

  function showSettingsProblem(err) {
    const field = err.data.field;
    const place = SETTING_KEYS.includes(field) ? $(`setting-${field}-error`) : null;
    if (place) {
      place.textContent = err.message;
      const inputs = settingsForm.querySelectorAll(`[name="${field}"]`);
      inputs.forEach((input) => input.setAttribute('aria-invalid', 'true'));
      setMessage(settingsMessage, 'error', `Nothing was saved: see the message at ${SETTING_NAMES[field]}.`);
      (field === 'default_channel' ? channelInput
        : settingsForm.querySelector(`[name="${field}"]:checked`) || inputs[0]).focus();
    } else {
      setMessage(settingsMessage, 'error', `Nothing was saved: ${err.message}`);
    }
  }

  function savedText(answer) {
    const channel = answer.default_channel ? `default channel ${storedChannel(answer)}` : 'no default channel';
    const mechanism = MECHANISM_LABELS[answer.mechanism] || answer.mechanism;
    const delivery = DELIVERY_LABELS[answer.delivery_mode] || answer.delivery_mode;
    const warned = Array.isArray(answer.warnings) && answer.warnings.length
      ? ' Read the warning below.' : '';
    return `Saved: ${mechanism} notifications, delivered by ${delivery}, ${channel}.${warned}`;
  }

  function setUpSettingsForm() {
    settingsForm.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!settingsBase || settingsSaving) {
        return;
      }
      clearSettingErrors();
      const body = changedSettings();
      if (Object.keys(body).length === 0) {
        setMessage(settingsMessage, '', 'Nothing to save: no setting was changed.');
        return;
      }
      settingsSaving = true;
      let problem = null;
      busy(settingsForm, async () => {
        setMessage(settingsMessage, '', body.default_channel
          ? `Saving; Slack checks ${body.default_channel} first…` : 'Saving…');
        try {
          const answer = await callApi('PUT', 'settings', body);
          applySettings(answer, false);
          setMessage(settingsMessage, 'success', savedText(answer));
        } catch (err) {
          problem = err;
        } finally {
          settingsSaving = false;
        }
      }).then(() => {
        if (problem) {
          showSettingsProblem(problem);   // after busy(): the fields can take the focus again
          if (problem.data.connection_invalidated) {
            reload();   // Slack refused the token: the workspace shows as revoked now
          }
        }
      });
    });

    $('channel-clear').addEventListener('click', () => {
      channelInput.value = '';
      clearSettingError('default_channel');
      setMessage(settingsMessage, '', settingsBase && settingsBase.default_channel
        ? 'The default channel is removed when you save.' : '');
      channelInput.focus();
    });
    channelInput.addEventListener('input', () => clearSettingError('default_channel'));
    for (const key of ['mechanism', 'delivery_mode']) {
      for (const input of settingsForm.querySelectorAll(`[name="${key}"]`)) {
        input.addEventListener('change', () => clearSettingError(key));
      }
    }
  }

  /* ---- notification history: GET /admin/api/history ---- */

  const HISTORY_PAGE = 50;
  const SORT_FIRST_ORDER = { created_at: 'desc', status: 'asc', recipient: 'asc', notification_type: 'asc' };
  const HISTORY_STATUS_CLASSES = { SENT: 'history-sent', UPDATED: 'history-updated', FAILED: 'history-failed' };
  const WAY_LABELS = { dm: 'Direct message', channel: 'Channel', email: 'Email' };
  const PRODUCT_NAMES = { jira: 'Jira', confluence: 'Confluence' };
  const TYPE_TITLES = {
    approval_requested: 'Approval requested',
    approval_reminder: 'Reminder',
    decision_recorded: 'Decision recorded',
    step_completed: 'Step completed',
    approval_completed: 'Approval completed',
    step_expired: 'Step expired',
    approver_reassigned: 'Approver reassigned',
    approval_archived: 'Approval archived',
    approval_deleted: 'Approval deleted',
    approval_outdated: 'Approval outdated',
  };
  // Why Slack delivery failed, in words (docs/notifications.md, "The email fallback").
  const FAILURE_WORDS = {
    no_workspace: 'no default workspace',
    connection_inactive: 'the workspace is revoked or uninstalled',
    token_revoked: 'the workspace\'s token was revoked',
    account_inactive: 'the app was removed from the workspace',
    invalid_auth: 'Slack refused the token',
    token_unreadable: 'the token cannot be decrypted',
    users_not_found: 'no Slack user has this email',
    user_disabled: 'the Slack user is deactivated',
    no_channel_configured: 'channel mode without a channel',
    channel_not_found: 'the channel is gone or the app cannot see it',
    is_archived: 'the channel is archived',
    not_in_channel: 'the app is not in the channel',
    ratelimited: 'Slack kept rate limiting',
    http_error: 'Slack kept failing',
    transport_error: 'Slack could not be reached',
    request_timeout: 'Slack did not answer in time',
  };

  const historyView = {
    status: '', recipient: '', from: '', to: '', sort: 'created_at', order: 'desc', offset: 0,
  };
  let historyRequest = 0;   // answers to older requests are dropped

  // The first moment of a local calendar day (plus some days), as the
  // module's YYYY-MM-DDTHH:MM:SSZ: the date inputs are days where the admin is.
  function dayStart(day, plusDays = 0) {
    const [year, month, date] = day.split('-').map(Number);
    return new Date(year, month - 1, date + plusDays).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  // The query string, percent-encoded throughout: httpd's query parser
  // (ap_args_to_table) does not read "+" as a space, as form encoding
  // (URLSearchParams) would write it.
  function historyQuery() {
    const params = [];
    const add = (key, value) => params.push(`${key}=${encodeURIComponent(value)}`);
    for (const key of ['status', 'recipient']) {
      if (historyView[key]) {
        add(key, historyView[key]);
      }
    }
    if (historyView.from) {
      add('from', dayStart(historyView.from));
    }
    if (historyView.to) {
      add('to', dayStart(historyView.to, 1));   // "to" is the end of that day
    }
    add('sort', historyView.sort);
    add('order', historyView.order);
    add('limit', HISTORY_PAGE);
    add('offset', historyView.offset);
    return params.join('&');
  }

  const FILTER_KEYS = ['status', 'recipient', 'from', 'to'];

  function clearFilterErrors() {
    for (const key of FILTER_KEYS) {
      $(`filter-${key}-error`).textContent = '';
      $(`filter-${key}`).removeAttribute('aria-invalid');
    }
  }

  function showSort() {
    for (const th of document.querySelectorAll('#history-table th[data-sort]')) {
      const active = th.dataset.sort === historyView.sort;
      if (active) {
        th.setAttribute('aria-sort', historyView.order === 'asc' ? 'ascending' : 'descending');
      } else {
        th.removeAttribute('aria-sort');
      }
      th.querySelector('.sort-mark').textContent = active ? (historyView.order === 'asc' ? ' ▲' : ' ▼') : '';
    }
  }

  function setLine(row, selector, text) {
    row.querySelector(selector).textContent = text || '';
  }

  function historyRow(entry) {
    const row = $('history-row-template').content.firstElementChild.cloneNode(true);
    row.dataset.id = String(entry.id);
    row.dataset.status = String(entry.status || '');
    const time = row.querySelector('.history-time');
    time.textContent = formatTime(entry.created_at);
    time.dateTime = entry.created_at || '';
    time.title = entry.created_at || '';

    const status = row.querySelector('.history-status');
    status.textContent = String(entry.status || '?');
    status.classList.add(HISTORY_STATUS_CLASSES[entry.status] || 'history-other');

    const email = entry.recipient || '';
    setLine(row, '.recipient-name', entry.recipient_name || email);
    setLine(row, '.recipient-email', entry.recipient_name && email !== entry.recipient_name ? email : '');
    setLine(row, '.recipient-delegate', entry.delegate_of ? `Delegate of ${entry.delegate_of}` : '');

    setLine(row, '.way-label', WAY_LABELS[entry.kind] || entry.kind || '—');
    setLine(row, '.way-channel', entry.kind === 'channel' && entry.channel ? entry.channel : '');

    setLine(row, '.type-title', TYPE_TITLES[entry.notification_type] || entry.notification_type || '—');
    setLine(row, '.type-product', PRODUCT_NAMES[entry.product] || entry.product || '');

    setLine(row, '.approval-id', entry.approval_id || '—');
    setLine(row, '.approval-step', entry.step_id ? `Step ${entry.step_id}` : '');

    if (entry.status === 'FAILED' || entry.error) {
      const words = FAILURE_WORDS[entry.error];
      setLine(row, '.problem-error', entry.error ? `${entry.error}${words ? `: ${words}` : ''}` : 'Failed');
      setLine(row, '.problem-fallback', entry.fallback ? `Email fallback: ${entry.fallback}` : 'No email fallback');
    } else {
      setLine(row, '.problem-error', '—');
    }
    return row;
  }

  function filtersInUse() {
    return FILTER_KEYS.some((key) => historyView[key]);
  }

  function renderHistory(answer, rows) {
    const total = Number.isInteger(answer.total) ? answer.total : rows.length;
    const offset = historyView.offset;
    $('history-rows').replaceChildren(...rows.map(historyRow));
    $('history-table-wrap').hidden = rows.length === 0;
    $('history-count').textContent = `${total} ${total === 1 ? 'notification' : 'notifications'}`
      + (filtersInUse() ? ' match the filters' : '');

    const status = $('history-status');
    status.classList.remove('is-error');
    status.textContent = rows.length > 0 ? ''
      : filtersInUse() ? 'No notification matches these filters. Change or clear the filters.'
        : 'No notifications yet. Each notification sent, updated or failed appears here.';

    const prev = $('history-prev');
    const next = $('history-next');
    const hadFocus = document.activeElement;
    prev.disabled = offset === 0;
    next.disabled = offset + rows.length >= total;
    $('history-range').textContent = rows.length > 0
      ? `${offset + 1}–${offset + rows.length} of ${total}` : '';
    $('history-range').closest('.pager').hidden = rows.length === 0 && offset === 0;
    // The pressed button may be disabled now (the last page): keep the focus in the pager.
    if (hadFocus === next && next.disabled && !prev.disabled) {
      prev.focus();
    } else if (hadFocus === prev && prev.disabled && !next.disabled) {
      next.focus();
    }
    showSort();
  }

  function showHistoryProblem(err) {
    const field = err.data.field;
    const place = FILTER_KEYS.includes(field) ? $(`filter-${field}-error`) : null;
    if (place) {
      place.textContent = err.message;
      $(`filter-${field}`).setAttribute('aria-invalid', 'true');
    }
    const status = $('history-status');
    status.textContent = `The history could not be loaded: ${err.message}`;
    status.classList.add('is-error');
    $('history-rows').replaceChildren();
    $('history-table-wrap').hidden = true;
    $('history-count').textContent = '';
    $('history-range').textContent = '';
    $('history-prev').disabled = true;
    $('history-next').disabled = true;
  }

  async function loadHistory() {
    const request = ++historyRequest;
    const wrap = $('history-table-wrap');
    wrap.setAttribute('aria-busy', 'true');
    if (wrap.hidden) {
      const status = $('history-status');
      status.classList.remove('is-error');
      status.textContent = 'Loading the history…';
    }
    let answer;
    try {
      answer = await callApi('GET', `history?${historyQuery()}`);
    } catch (err) {
      if (request === historyRequest) {
        wrap.removeAttribute('aria-busy');
        showHistoryProblem(err);
      }
      return;
    }
    if (request !== historyRequest) {
      return;
    }
    wrap.removeAttribute('aria-busy');
    const rows = Array.isArray(answer.rows) ? answer.rows : [];
    if (rows.length === 0 && historyView.offset > 0) {
      historyView.offset = 0;   // past the end (rows were cleaned up meanwhile): the first page
      loadHistory();
      return;
    }
    renderHistory(answer, rows);
  }

  function setUpHistory() {
    const filters = $('history-filters');
    filters.addEventListener('submit', (event) => {
      event.preventDefault();
      clearFilterErrors();
      const from = filters.elements.from.value;
      const to = filters.elements.to.value;
      if (from && to && from > to) {
        $('filter-to-error').textContent = 'The To day is before the From day.';
        $('filter-to').setAttribute('aria-invalid', 'true');
        $('filter-to').focus();
        return;
      }
      historyView.status = filters.elements.status.value;
      historyView.recipient = filters.elements.recipient.value.trim();
      historyView.from = from;
      historyView.to = to;
      historyView.offset = 0;
      loadHistory();
    });
    $('history-clear').addEventListener('click', () => {
      filters.reset();
      clearFilterErrors();
      Object.assign(historyView, { status: '', recipient: '', from: '', to: '', offset: 0 });
      loadHistory();
    });
    for (const th of document.querySelectorAll('#history-table th[data-sort]')) {
      th.querySelector('.sort-button').addEventListener('click', () => {
        const key = th.dataset.sort;
        if (historyView.sort === key) {
          historyView.order = historyView.order === 'asc' ? 'desc' : 'asc';
        } else {
          historyView.sort = key;
          historyView.order = SORT_FIRST_ORDER[key];
        }
        historyView.offset = 0;
        showSort();
        loadHistory();
      });
    }
    $('history-prev').addEventListener('click', () => {
      historyView.offset = Math.max(0, historyView.offset - HISTORY_PAGE);
      loadHistory();
    });
    $('history-next').addEventListener('click', () => {
      historyView.offset += HISTORY_PAGE;
      loadHistory();
    });
    showSort();
  }

  /* ---- tabs ---- */

  // The WAI-ARIA tabs pattern: one tab in the Tab order, arrow keys (and
  // Home / End) move between tabs and show their panel. #history in the
  // address opens the history.
  function setUpTabs() {
    const tabs = Array.from(document.querySelectorAll('[role="tab"]'));
    const select = (tab, focus = true) => {
      for (const other of tabs) {
        const selected = other === tab;
        other.setAttribute('aria-selected', String(selected));
        other.tabIndex = selected ? 0 : -1;
        $(other.getAttribute('aria-controls')).hidden = !selected;
      }
      if (focus) {
        tab.focus();
      }
      const hash = tab.id === 'tab-history' ? '#history' : '';
      if (window.location.hash !== hash) {
        window.history.replaceState(window.history.state, '',
          window.location.pathname + window.location.search + hash);
      }
      if (tab.id === 'tab-general') {
        refresh();
      } else if (tab.id === 'tab-history') {
        loadHistory();
      }
    };
    for (const tab of tabs) {
      tab.addEventListener('click', () => select(tab));
      tab.addEventListener('keydown', (event) => {
        const usable = tabs.filter((t) => !t.disabled);
        const at = usable.indexOf(tab);
        const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: usable.length - 1 }[event.key];
        if (next === undefined) {
          return;
        }
        event.preventDefault();
        select(usable[(next + usable.length) % usable.length]);
      });
    }
    // A link to #history (or the address at start) opens the history.
    const fromAddress = () => {
      if (window.location.hash === '#history' && $('tab-history').getAttribute('aria-selected') !== 'true') {
        select($('tab-history'), false);
      }
    };
    window.addEventListener('hashchange', fromAddress);
    return fromAddress;
  }

  /* ---- start ---- */

  $('workspaces-heading').tabIndex = -1;   // focus target after a deletion
  const openTabFromAddress = setUpTabs();
  setUpSettingsForm();
  setUpHistory();
  showInstallResult();
  refresh();
  loadSettings();   // after an install too: the first workspace switched the mechanism to Slack
  openTabFromAddress();
  // Coming back to the page (another tab, Slack's page) shows changes, at
  // most once per cache period.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') {
      refresh();
    }
  });
})();
