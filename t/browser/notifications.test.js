'use strict';
// The settings page's Notifications section (GET / PUT /admin/api/settings)
// and its Notification history tab (GET /admin/api/history) in Debian's
// chromium: the form's defaults, the mechanism after the first install, a
// save that sends only what changed and names the stored channel, Slack's
// refusals next to the channel field, the 409 without a workspace, errors
// without a field, the warnings; history rows inserted with psql, filters,
// sorting by the column headers, pages of 50, the empty states, the API's
// errors, markup as text, and the history on a 375 px screen.

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  SETTINGS_URL, FAKE_SLACK_URL, psql, insertHistory, slack, admin, reset, installTeam, closeBrowser, withPage,
} = require('./lib/harness');

const TIMEOUT = { timeout: 90000 };

// The later files find the database (settings, history) and the fake Slack clean.
test.after(async () => {
  await closeBrowser();
  await reset();
});

// ---- helpers: the settings form -------------------------------------------------------

function storedSettings() {
  return psql("SELECT mechanism || '|' || delivery_mode || '|' || coalesce(default_channel, '-') || '|' "
              + "|| coalesce(default_channel_name, '-') FROM sap_settings");
}

async function openSettings(page, url = SETTINGS_URL) {
  await page.goto(url);
  await page.locator('#settings-form').waitFor();   // shown once the settings are loaded
}

function section(page) {
  return page.locator('#notifications');
}

function radio(page, name) {
  return section(page).getByRole('radio', { name: new RegExp(`^${name}\\b`) });
}

async function checkedValue(page, name) {
  return page.locator(`#settings-form input[name="${name}"]:checked`).evaluate((el) => el.value);
}

// Clicks Save and returns the body of the PUT it sent.
async function save(page) {
  const sent = page.waitForRequest((req) => req.method() === 'PUT'
    && new URL(req.url()).pathname.endsWith('/admin/api/settings'));
  await section(page).getByRole('button', { name: 'Save' }).click();
  return (await sent).postDataJSON();
}

async function message(page, pattern) {
  const element = page.locator('#settings-message');
  await element.filter({ hasText: pattern }).waitFor();
  return element;
}

// ---- helpers: the history ------------------------------------------------------------

// 12:00 local time, `daysAgo` days ago (the page's date filters are local days).
function noonDaysAgo(daysAgo, minutes = 0) {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysAgo, 12, minutes, 0);
}

function localDay(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

let eventSeq = 0;
function historyRow(fields) {
  eventSeq += 1;
  return {
    event_id: `browser-history-${eventSeq}`, product: 'jira', notification_type: 'approval_requested',
    approval_id: `A-${eventSeq}`, step_id: 'S-1', kind: 'dm', status: 'SENT', ...fields,
  };
}

async function openHistory(page) {
  await page.goto(SETTINGS_URL);
  await historyAfter(page, () => page.getByRole('tab', { name: 'Notification history' }).click());
}

function isHistoryCall(url) {
  return new URL(url).pathname.endsWith('/admin/api/history');
}

// Runs action (a click) and waits until the page has shown the history
// answer it caused; returns the query the page sent.
async function historyAfter(page, action) {
  const answered = page.waitForResponse((res) => isHistoryCall(res.url()));
  await action();
  const res = await answered;
  await page.waitForFunction(() => !document.getElementById('history-table-wrap').hasAttribute('aria-busy'));
  return new URL(res.url()).searchParams;
}

function shownRecipients(page) {
  return page.locator('#history-rows .recipient-email').allTextContents();
}

function shownColumn(page, selector) {
  return page.locator(`#history-rows ${selector}`).allTextContents();
}

async function sortOf(page) {
  return page.locator('#history-table th[data-sort]').evaluateAll((ths) => ths
    .filter((th) => th.hasAttribute('aria-sort'))
    .map((th) => `${th.dataset.sort}:${th.getAttribute('aria-sort')}`));
}

// ---- the settings form ---------------------------------------------------------------

test('notifications: the form loads the defaults, one line explaining each choice', TIMEOUT,
  withPage(async ({ page, consoleErrors }) => {
    await reset();
    let puts = 0;
    page.on('request', (req) => { if (req.method() === 'PUT') puts += 1; });
    await openSettings(page);
    assert.equal(await checkedValue(page, 'mechanism'), 'native', 'Native before any workspace');
    assert.equal(await checkedValue(page, 'delivery_mode'), 'dm', 'direct messages');
    const channel = section(page).getByLabel('Default channel');
    assert.equal(await channel.inputValue(), '', 'no default channel');
    assert.equal(await channel.getAttribute('placeholder'), '#approvals');
    assert.equal(await page.locator('#default-channel-stored').textContent(), 'No default channel is stored.');
    assert.ok(await page.locator('#settings-warnings').isHidden(), 'nothing to warn about');

    // Every choice is a labelled radio with its line of explanation.
    const explained = {
      Native: /Jira and Confluence send their own notifications/,
      Email: /emails each person through the configured mail relay/,
      Slack: /Slack messages with the approval actions; email whenever Slack cannot deliver/,
      'Direct message': /Every approver and delegate gets a message of their own/,
      Channel: /One message in the channel, with an @mention/,
      Both: /Direct messages and the channel message/,
    };
    for (const [name, line] of Object.entries(explained)) {
      assert.equal(await radio(page, name).count(), 1, name);
      const label = radio(page, name).locator('xpath=ancestor::label');
      assert.match(await label.textContent(), line, `${name}: explained`);
    }
    assert.equal(await section(page).getByRole('group', { name: 'Notification mechanism' }).count(), 1);
    assert.equal(await section(page).getByRole('group', { name: 'Delivery mode' }).count(), 1);

    // Nothing changed: nothing is sent.
    await section(page).getByRole('button', { name: 'Save' }).click();
    await message(page, /Nothing to save/);
    assert.equal(puts, 0, 'no PUT without a change');
    assert.deepEqual(consoleErrors, [], 'no script errors');
  }));

test('notifications: after the first workspace is connected the mechanism shows Slack', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    await openSettings(page);
    assert.ok(await radio(page, 'Native').isChecked());
    await page.getByRole('link', { name: 'Connect a Slack workspace' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${FAKE_SLACK_URL}/oauth/v2/authorize`));
    await page.getByLabel('Workspace id').fill('T0NOTIFY00');
    await page.getByLabel('Workspace name').fill('Notify Zero');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(SETTINGS_URL);
    await page.locator('#banner-area .banner').filter({ hasText: /Connected workspace Notify Zero/ }).waitFor();
    await page.locator('#settings-form input[name="mechanism"][value="slack"]:checked').waitFor({ state: 'attached' });
    assert.ok(await radio(page, 'Slack').isChecked(), 'the install switched the mechanism to Slack');
    assert.ok(await page.locator('#settings-warnings').isHidden(), 'a default workspace: no warning');
    assert.equal(storedSettings(), 'slack|dm|-|-');
  }));

test('notifications: saving the delivery mode and a channel stores them and names the stored channel', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    await installTeam('T0NOTIFY01', 'Notify Co');
    await slack('POST', 'channels', { id: 'C0NOTIFY01', team_id: 'T0NOTIFY01', name: 'approvals' });
    await openSettings(page);
    assert.ok(await radio(page, 'Slack').isChecked());

    await radio(page, 'Channel').check();
    await section(page).getByLabel('Default channel').fill('  #approvals ');
    const body = await save(page);
    assert.deepEqual(body, { delivery_mode: 'channel', default_channel: '#approvals' },
      'only what changed is sent (the channel trimmed)');
    const done = await message(page, /^Saved: /);
    assert.match(await done.textContent(), /Slack notifications, delivered by the channel, default channel #approvals \(C0NOTIFY01\)\./);
    assert.ok(await done.evaluate((el) => el.classList.contains('is-success')));
    assert.equal(await page.locator('#default-channel-stored').textContent(), 'Stored: #approvals (C0NOTIFY01).');
    assert.ok(await page.locator('#settings-warnings').isHidden(), 'a channel: no warning');
    assert.match(await page.locator('#settings-updated').textContent(), /by admin/);

    // Stored: as the page's own fetch sees it, as the admin API and the table say.
    const seen = await page.evaluate(async () => {
      const res = await fetch('../api/settings', { headers: { Accept: 'application/json' } });
      return res.json();
    });
    assert.equal(seen.delivery_mode, 'channel');
    assert.equal(seen.default_channel, 'C0NOTIFY01', 'the id Slack answered');
    assert.equal(seen.default_channel_name, '#approvals', 'the name as typed');
    assert.equal((await admin('GET', '/admin/api/settings')).json.default_channel, 'C0NOTIFY01');
    assert.equal(storedSettings(), 'slack|channel|C0NOTIFY01|#approvals');
    const notices = (await slack('GET', 'messages?channel=C0NOTIFY01')).messages;
    assert.equal(notices.length, 1, 'the channel check posted its notice once');
    assert.match(notices[0].text, /will receive approval notifications/);

    // The form shows it after a reload; saving it again changes nothing.
    await openSettings(page);
    assert.equal(await section(page).getByLabel('Default channel').inputValue(), '#approvals');
    assert.ok(await radio(page, 'Channel').isChecked());

    // Clear removes the channel (null); channel mode then warns.
    await section(page).getByRole('button', { name: 'Clear' }).click();
    assert.equal(await section(page).getByLabel('Default channel').inputValue(), '');
    assert.ok(await section(page).getByLabel('Default channel').evaluate((el) => el === document.activeElement));
    assert.match(await page.locator('#settings-message').textContent(), /removed when you save/);
    assert.deepEqual(await save(page), { default_channel: null });
    assert.match(await (await message(page, /^Saved: /)).textContent(), /no default channel/);
    assert.equal(storedSettings(), 'slack|channel|-|-');
    assert.equal(await page.locator('#default-channel-stored').textContent(), 'No default channel is stored.');
    await page.locator('#settings-warnings').waitFor();
    assert.equal((await slack('GET', 'messages?channel=C0NOTIFY01')).messages.length, 1, 'no second notice');
  }));

test('notifications: an unknown channel shows Slack\'s words at the field and saves nothing', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    await installTeam('T0NOTIFY02', 'Refuse Co');
    await slack('POST', 'channels', { id: 'G0NOTIFY02', team_id: 'T0NOTIFY02', name: 'secret',
      is_private: true, bot_member: false });
    await openSettings(page);
    const channel = section(page).getByLabel('Default channel');
    const fieldError = page.locator('#setting-default_channel-error');

    // Two changes at once, one refused: neither is stored.
    await radio(page, 'Both').check();
    await channel.fill('#no-such-channel');
    assert.deepEqual(await save(page), { delivery_mode: 'both', default_channel: '#no-such-channel' });
    await fieldError.filter({ hasText: /The channel does not exist, or the bot cannot see it/ }).waitFor();
    assert.equal(await channel.getAttribute('aria-invalid'), 'true');
    assert.match(await (await message(page, /Nothing was saved/)).textContent(), /the default channel/);
    assert.ok(await page.locator('#settings-message').evaluate((el) => el.classList.contains('is-error')));
    assert.ok(await channel.evaluate((el) => el === document.activeElement), 'the field has the focus');
    assert.equal(storedSettings(), 'slack|dm|-|-', 'nothing stored, not even the delivery mode');
    assert.ok(await radio(page, 'Both').isChecked(), 'the admin\'s choices stay in the form');
    assert.equal(await page.locator('#setting-delivery_mode-error').textContent(), '');

    // A private channel without the app: not_in_channel, in words.
    await channel.fill('#secret');
    assert.equal(await fieldError.textContent(), '', 'typing clears the message');
    assert.equal(await channel.getAttribute('aria-invalid'), null);
    await save(page);
    await fieldError.filter({ hasText: /The bot is not a member of the channel: invite the app to it/ }).waitFor();
    assert.equal(storedSettings(), 'slack|dm|-|-');
    assert.ok(await section(page).evaluate((el) => el.querySelectorAll('img, script').length === 0));
  }));

test('notifications: without a workspace the channel cannot be checked (409 no_default_workspace)', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    await openSettings(page);
    await section(page).getByLabel('Default channel').fill('#approvals');
    await save(page);
    await page.locator('#setting-default_channel-error')
      .filter({ hasText: /There is no default Slack workspace to check the channel with: connect a workspace first/ })
      .waitFor();
    assert.equal(storedSettings(), 'native|dm|-|-');
  }));

test('notifications: an error without a field is shown at the section', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  await openSettings(page);
  // The module's 503 (a database that cannot be reached), as the page would get it.
  await page.route((url) => url.pathname.endsWith('/admin/api/settings'), (route) => (route.request().method() === 'PUT'
    ? route.fulfill({ status: 503, contentType: 'application/json',
      body: JSON.stringify({ error: 'database_unavailable', message: 'The database cannot be reached.' }) })
    : route.continue()));
  await radio(page, 'Email').check();
  assert.deepEqual(await save(page), { mechanism: 'email' });
  await message(page, /^Nothing was saved: The database cannot be reached\.$/);
  for (const field of ['mechanism', 'delivery_mode', 'default_channel']) {
    assert.equal(await page.locator(`#setting-${field}-error`).textContent(), '', `${field}: no field message`);
  }
  assert.equal(storedSettings(), 'native|dm|-|-');
}));

test('notifications: the module\'s warnings are shown (channel mode without a channel, no workspace)', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    await openSettings(page);
    await radio(page, 'Slack').check();
    await radio(page, 'Channel').check();
    assert.deepEqual(await save(page), { mechanism: 'slack', delivery_mode: 'channel' });
    await message(page, /^Saved: .*Read the warning below\./);
    const warnings = page.locator('#settings-warnings');
    await warnings.waitFor();
    const items = page.locator('#settings-warning-list li');
    assert.deepEqual(await items.evaluateAll((lis) => lis.map((li) => li.dataset.code)),
      ['no_default_workspace', 'no_default_channel']);
    assert.match(await warnings.textContent(), /Channel mode needs a default channel or a definition override/);
    assert.match(await warnings.textContent(), /there is no active default workspace/);
    assert.equal(storedSettings(), 'slack|channel|-|-');

    // From GET too, after a reload; a workspace (the default) leaves the channel's warning only.
    await installTeam('T0NOTIFY03', 'Warn Co');
    await openSettings(page);
    await warnings.waitFor();
    assert.deepEqual(await items.evaluateAll((lis) => lis.map((li) => li.dataset.code)), ['no_default_channel']);

    // Back to direct messages: no warning.
    await radio(page, 'Direct message').check();
    assert.deepEqual(await save(page), { delivery_mode: 'dm' });
    await message(page, /^Saved: /);
    assert.ok(await warnings.isHidden());
  }));

// ---- the history ---------------------------------------------------------------------

test('history: the rows from the database, with status badges, recipients, ways and the fallback', TIMEOUT,
  withPage(async ({ page, consoleErrors }) => {
    await reset();
    insertHistory([
      historyRow({ created_at: noonDaysAgo(2).toISOString(), recipient: 'ada@example.com', recipient_name: 'Ada Lovelace',
        slack_user_id: 'U0ADA00001', channel: 'D0ADA00001' }),
      historyRow({ created_at: noonDaysAgo(1).toISOString(), recipient: 'bob@example.com', recipient_name: 'Bob Builder',
        kind: 'channel', channel: 'C0HISTORY1', status: 'UPDATED', notification_type: 'step_completed',
        product: 'confluence', approval_id: 'A-1001', step_id: 'S-7' }),
      historyRow({ created_at: noonDaysAgo(0).toISOString(), recipient: 'gus@example.com', recipient_name: 'Gus',
        status: 'FAILED', error: 'users_not_found', fallback: 'sent', delegate_of: 'ada@example.com' }),
    ]);
    await openHistory(page);
    const tab = page.getByRole('tab', { name: 'Notification history' });
    assert.equal(await tab.getAttribute('aria-selected'), 'true');
    assert.ok(await page.locator('#panel-history').isVisible());
    assert.ok(await page.locator('#panel-general').isHidden());
    assert.equal(new URL(page.url()).hash, '#history');

    const rows = page.locator('#history-rows tr');
    assert.equal(await rows.count(), 3);
    assert.deepEqual(await shownRecipients(page), ['gus@example.com', 'bob@example.com', 'ada@example.com'],
      'newest first');
    assert.deepEqual(await sortOf(page), ['created_at:descending']);
    assert.deepEqual(await shownColumn(page, '.history-status'), ['FAILED', 'UPDATED', 'SENT']);
    assert.deepEqual(await page.locator('#history-rows .history-status').evaluateAll((badges) => badges
      .map((badge) => badge.className)),
    ['badge history-status history-failed', 'badge history-status history-updated', 'badge history-status history-sent']);

    const failed = rows.nth(0);
    assert.equal(await failed.locator('.recipient-name').textContent(), 'Gus');
    assert.equal(await failed.locator('.recipient-delegate').textContent(), 'Delegate of ada@example.com');
    assert.equal(await failed.locator('.way-label').textContent(), 'Direct message');
    assert.match(await failed.locator('.problem-error').textContent(), /^users_not_found: no Slack user has this email$/);
    assert.equal(await failed.locator('.problem-fallback').textContent(), 'Email fallback: sent');
    assert.ok((await failed.locator('.history-time').getAttribute('datetime')).endsWith('Z'));

    const updated = rows.nth(1);
    assert.equal(await updated.locator('.recipient-name').textContent(), 'Bob Builder');
    assert.equal(await updated.locator('.way-label').textContent(), 'Channel');
    assert.equal(await updated.locator('.way-channel').textContent(), 'C0HISTORY1');
    assert.equal(await updated.locator('.type-title').textContent(), 'Step completed');
    assert.equal(await updated.locator('.type-product').textContent(), 'Confluence');
    assert.equal(await updated.locator('.approval-id').textContent(), 'A-1001');
    assert.equal(await updated.locator('.approval-step').textContent(), 'Step S-7');
    assert.equal(await updated.locator('.problem-error').textContent(), '—');
    assert.equal(await updated.locator('.problem-fallback').textContent(), '');

    assert.equal(await page.locator('#history-range').textContent(), '1–3 of 3');
    assert.equal(await page.locator('#history-count').textContent(), '3 notifications');
    assert.ok(await page.getByRole('button', { name: 'Previous' }).isDisabled());
    assert.ok(await page.getByRole('button', { name: 'Next' }).isDisabled());

    // The tabs by keyboard: Left / Right / Home / End move and show the panel.
    await tab.press('ArrowLeft');
    const general = page.getByRole('tab', { name: 'General' });
    assert.equal(await general.getAttribute('aria-selected'), 'true');
    assert.ok(await general.evaluate((el) => el === document.activeElement));
    assert.ok(await page.locator('#panel-general').isVisible());
    assert.ok(await page.locator('#panel-history').isHidden());
    assert.equal(new URL(page.url()).hash, '');
    await general.press('End');
    assert.equal(await tab.getAttribute('aria-selected'), 'true');
    assert.equal(await tab.getAttribute('tabindex'), '0');
    assert.equal(await general.getAttribute('tabindex'), '-1');
    await tab.press('Home');
    assert.equal(await general.getAttribute('aria-selected'), 'true');
    await general.press('ArrowRight');
    assert.ok(await page.locator('#panel-history').isVisible());
    assert.equal(new URL(page.url()).hash, '#history');
    assert.deepEqual(consoleErrors, [], 'no script errors');
  }));

test('history: filtering by status, recipient and days', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  const rows = [];
  const people = [['ada@example.com', 'Ada Lovelace'], ['grace@example.com', 'Grace Hopper'], ['linus@example.com', 'Linus']];
  for (let day = 0; day < 4; day++) {
    people.forEach(([email, name], i) => {
      rows.push(historyRow({ created_at: noonDaysAgo(day, i).toISOString(), recipient: email, recipient_name: name,
        status: i === 2 ? 'FAILED' : day === 0 ? 'UPDATED' : 'SENT', error: i === 2 ? 'users_not_found' : null,
        fallback: i === 2 ? 'sent' : null }));
    });
  }
  insertHistory(rows);
  await openHistory(page);
  assert.equal(await page.locator('#history-rows tr').count(), 12);

  const filters = page.getByRole('search', { name: 'Filter the history' });
  const apply = () => historyAfter(page, () => filters.getByRole('button', { name: 'Apply filters' }).click());

  await filters.getByLabel('Status').selectOption('FAILED');
  let query = await apply();
  assert.equal(query.get('status'), 'FAILED');
  assert.deepEqual([...new Set(await shownColumn(page, '.history-status'))], ['FAILED']);
  assert.equal(await page.locator('#history-rows tr').count(), 4);
  assert.equal(await page.locator('#history-count').textContent(), '4 notifications match the filters');

  // The recipient: part of the name or the email, any case.
  await filters.getByLabel('Status').selectOption('');
  await filters.getByLabel('Recipient').fill('  HOPPER ');
  query = await apply();
  assert.equal(query.get('recipient'), 'HOPPER');
  assert.equal(query.get('status'), null);
  assert.deepEqual([...new Set(await shownRecipients(page))], ['grace@example.com']);
  assert.equal(await page.locator('#history-rows tr').count(), 4);

  // A space in the filter reaches the module as a space (%20, not "+").
  await filters.getByLabel('Recipient').fill('grace hopper');
  query = await apply();
  assert.equal(query.get('recipient'), 'grace hopper');
  assert.equal(await page.locator('#history-rows tr').count(), 4, 'the name with its space');

  // Both at once: Grace's UPDATED rows (today's).
  await filters.getByLabel('Status').selectOption('UPDATED');
  await apply();
  assert.deepEqual(await shownRecipients(page), ['grace@example.com']);

  // Days: from two days ago to yesterday, including yesterday.
  await filters.getByLabel('Status').selectOption('');
  await filters.getByLabel('Recipient').fill('');
  await filters.getByLabel('From').fill(localDay(noonDaysAgo(2)));
  await filters.getByLabel('To (inclusive)').fill(localDay(noonDaysAgo(1)));
  query = await apply();
  assert.equal(query.get('from'), new Date(noonDaysAgo(2).setHours(0, 0, 0, 0)).toISOString().replace('.000Z', 'Z'));
  assert.equal(query.get('to'), new Date(noonDaysAgo(0).setHours(0, 0, 0, 0)).toISOString().replace('.000Z', 'Z'));
  assert.equal(await page.locator('#history-rows tr').count(), 6, 'two days of three people');

  // A To day before the From day is refused on the page.
  await filters.getByLabel('To (inclusive)').fill(localDay(noonDaysAgo(3)));
  await filters.getByRole('button', { name: 'Apply filters' }).click();
  await page.locator('#filter-to-error').filter({ hasText: /before the From day/ }).waitFor();

  await historyAfter(page, () => filters.getByRole('button', { name: 'Clear filters' }).click());
  assert.equal(await page.locator('#history-rows tr').count(), 12);
  assert.equal(await filters.getByLabel('From').inputValue(), '');
  assert.equal(await page.locator('#filter-to-error').textContent(), '');
}));

test('history: sorting by the time, recipient, status and type headers', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  insertHistory([
    historyRow({ created_at: noonDaysAgo(3).toISOString(), recipient: 'carol@example.com', recipient_name: 'Carol',
      status: 'SENT', notification_type: 'step_expired' }),
    historyRow({ created_at: noonDaysAgo(2).toISOString(), recipient: 'alice@example.com', recipient_name: 'Alice',
      status: 'UPDATED', notification_type: 'approval_completed' }),
    historyRow({ created_at: noonDaysAgo(1).toISOString(), recipient: 'dave@example.com', recipient_name: 'Dave',
      status: 'FAILED', notification_type: 'decision_recorded', error: 'user_disabled', fallback: 'sent' }),
    historyRow({ created_at: noonDaysAgo(0).toISOString(), recipient: 'bert@example.com', recipient_name: 'Bert',
      status: 'SENT', notification_type: 'approval_requested' }),
  ]);
  await openHistory(page);
  assert.deepEqual(await shownRecipients(page), ['bert@example.com', 'dave@example.com', 'alice@example.com',
    'carol@example.com'], 'newest first');
  const header = (name) => page.locator('#history-table thead').getByRole('button', { name, exact: true });

  let query = await historyAfter(page, () => header('Recipient').click());
  assert.equal(`${query.get('sort')}:${query.get('order')}`, 'recipient:asc');
  assert.deepEqual(await sortOf(page), ['recipient:ascending'], 'aria-sort moved to the recipient column');
  assert.deepEqual(await shownRecipients(page), ['alice@example.com', 'bert@example.com', 'carol@example.com',
    'dave@example.com']);

  await historyAfter(page, () => header('Recipient').click());
  assert.deepEqual(await sortOf(page), ['recipient:descending'], 'a second click turns the order');
  assert.deepEqual(await shownRecipients(page), ['dave@example.com', 'carol@example.com', 'bert@example.com',
    'alice@example.com']);

  query = await historyAfter(page, () => header('Status').click());
  assert.equal(`${query.get('sort')}:${query.get('order')}`, 'status:asc');
  assert.deepEqual(await sortOf(page), ['status:ascending']);
  assert.deepEqual(await shownColumn(page, '.history-status'), ['FAILED', 'SENT', 'SENT', 'UPDATED']);

  await historyAfter(page, () => header('Type').click());
  assert.deepEqual(await sortOf(page), ['notification_type:ascending']);
  assert.deepEqual(await shownColumn(page, '.type-title'), ['Approval completed', 'Approval requested',
    'Decision recorded', 'Step expired']);

  await historyAfter(page, () => header('Time').click());
  assert.deepEqual(await sortOf(page), ['created_at:descending'], 'time starts newest first');
  assert.equal((await shownRecipients(page))[0], 'bert@example.com');
  await historyAfter(page, () => header('Time').click());
  assert.deepEqual(await sortOf(page), ['created_at:ascending']);
  assert.equal((await shownRecipients(page))[0], 'carol@example.com');
  // The buttons are reachable by keyboard (Enter sorts).
  await header('Status').focus();
  await historyAfter(page, () => page.keyboard.press('Enter'));
  assert.deepEqual(await sortOf(page), ['status:ascending']);
}));

test('history: pages of 50 with Previous / Next and "51–100 of 120"', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  const rows = [];
  for (let i = 0; i < 120; i++) {
    // row 0 is the newest
    rows.push(historyRow({ created_at: new Date(Date.now() - (i + 1) * 60000).toISOString(),
      recipient: `p${String(i).padStart(3, '0')}@example.com`, recipient_name: `Person ${i}` }));
  }
  insertHistory(rows);
  await openHistory(page);
  const range = page.locator('#history-range');
  const prev = page.getByRole('button', { name: 'Previous' });
  const next = page.getByRole('button', { name: 'Next' });
  assert.equal(await range.textContent(), '1–50 of 120');
  assert.equal(await page.locator('#history-rows tr').count(), 50);
  assert.ok(await prev.isDisabled());
  assert.ok(await next.isEnabled());

  let query = await historyAfter(page, () => next.click());
  assert.equal(query.get('offset'), '50');
  assert.equal(query.get('limit'), '50');
  assert.equal(await range.textContent(), '51–100 of 120');
  assert.equal((await shownRecipients(page))[0], 'p050@example.com', 'the 51st newest');
  assert.ok(await prev.isEnabled());

  await historyAfter(page, () => next.click());
  assert.equal(await range.textContent(), '101–120 of 120');
  assert.equal(await page.locator('#history-rows tr').count(), 20);
  assert.equal((await shownRecipients(page)).at(-1), 'p119@example.com');
  assert.ok(await next.isDisabled(), 'the last page');
  assert.ok(await prev.evaluate((el) => el === document.activeElement), 'the focus stays in the pager');

  await historyAfter(page, () => prev.click());
  assert.equal(await range.textContent(), '51–100 of 120');

  // Sorting starts again on the first page.
  query = await historyAfter(page, () => page.locator('#history-table thead').getByRole('button', { name: 'Recipient' }).click());
  assert.equal(query.get('offset'), '0');
  assert.equal(await range.textContent(), '1–50 of 120');
  assert.equal((await shownRecipients(page))[0], 'p000@example.com');
}));

test('history: the empty states', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  await openHistory(page);
  assert.match(await page.locator('#history-status').textContent(), /^No notifications yet\./);
  assert.ok(await page.locator('#history-table-wrap').isHidden(), 'no table without rows');
  assert.ok(await page.locator('.pager').isHidden());
  assert.equal(await page.locator('#history-count').textContent(), '0 notifications');

  insertHistory([historyRow({ recipient: 'ada@example.com', recipient_name: 'Ada' })]);
  const filters = page.getByRole('search', { name: 'Filter the history' });
  await filters.getByLabel('Recipient').fill('nobody-like-this');
  await historyAfter(page, () => filters.getByRole('button', { name: 'Apply filters' }).click());
  assert.match(await page.locator('#history-status').textContent(), /^No notification matches these filters\./);
  assert.ok(await page.locator('#history-table-wrap').isHidden());
  await historyAfter(page, () => filters.getByRole('button', { name: 'Clear filters' }).click());
  assert.equal(await page.locator('#history-rows tr').count(), 1);
  assert.equal(await page.locator('#history-status').textContent(), '');
}));

test('history: the module\'s errors are shown, at the filter they concern', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  insertHistory([historyRow({ recipient: 'ada@example.com', recipient_name: 'Ada' })]);
  await openHistory(page);
  const filters = page.getByRole('search', { name: 'Filter the history' });
  await filters.getByLabel('Recipient').fill('x'.repeat(255));
  await historyAfter(page, () => filters.getByRole('button', { name: 'Apply filters' }).click());
  assert.match(await page.locator('#filter-recipient-error').textContent(), /recipient must be 1 to 254 characters/);
  assert.equal(await filters.getByLabel('Recipient').getAttribute('aria-invalid'), 'true');
  const status = page.locator('#history-status');
  assert.match(await status.textContent(), /^The history could not be loaded: recipient must be 1 to 254 characters/);
  assert.ok(await status.evaluate((el) => el.classList.contains('is-error')));
  assert.ok(await page.locator('#history-table-wrap').isHidden());

  // An answer without a field (the database is down): at the list.
  const down = (route) => route.fulfill({ status: 503, contentType: 'application/json',
    body: JSON.stringify({ error: 'database_unavailable', message: 'The database cannot be reached.' }) });
  const matches = (url) => isHistoryCall(url.href);
  await page.route(matches, down);
  await historyAfter(page, () => filters.getByRole('button', { name: 'Clear filters' }).click());
  assert.equal(await status.textContent(), 'The history could not be loaded: The database cannot be reached.');
  assert.equal(await page.locator('#filter-recipient-error').textContent(), '');
  await page.unroute(matches, down);
  await historyAfter(page, () => filters.getByRole('button', { name: 'Apply filters' }).click());
  assert.equal(await page.locator('#history-rows tr').count(), 1, 'back once the module answers');
}));

test('history: markup in a recipient name, an error or a fallback is shown as text', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    const evil = '<img src=x onerror="window.__pwned=1">';
    insertHistory([historyRow({ recipient: 'eve@example.com', recipient_name: evil, status: 'FAILED',
      error: '<b>boom</b>', fallback: `not sent: ${evil}`, approval_id: '<script>window.__pwned=2</script>' })]);
    await openHistory(page);
    const row = page.locator('#history-rows tr').first();
    assert.equal(await row.locator('.recipient-name').textContent(), evil, 'character for character');
    assert.equal(await row.locator('.problem-error').textContent(), '<b>boom</b>');
    assert.equal(await row.locator('.problem-fallback').textContent(), `Email fallback: not sent: ${evil}`);
    assert.equal(await row.locator('.approval-id').textContent(), '<script>window.__pwned=2</script>');
    assert.equal(await page.locator('main img, main b, main script').count(), 0, 'no element was created');
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
    // the recipient filter echoes it as text too
    const filters = page.getByRole('search', { name: 'Filter the history' });
    await filters.getByLabel('Recipient').fill(evil);
    await historyAfter(page, () => filters.getByRole('button', { name: 'Apply filters' }).click());
    assert.equal(await page.locator('#history-rows .recipient-name').textContent(), evil);
    assert.equal(await page.locator('main img').count(), 0);
  }));

test('history at 375 px wide: one card per row, no horizontal scroll', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  insertHistory([
    historyRow({ recipient: 'a-very-long-mailbox-name-without-any-break@a-long-subdomain.example.com',
      recipient_name: 'Supercalifragilisticexpialidocious-recipient-name-without-spaces', status: 'FAILED',
      error: 'channel_not_found', fallback: 'not sent: 550 5.1.1 mailbox-unavailable-because-of-a-long-reason',
      kind: 'channel', channel: 'C0LONGCHANNELID123456' }),
    historyRow({ recipient: 'bo@example.com', recipient_name: 'Bo' }),
  ]);
  // #history in the address opens the tab
  await page.goto(`${SETTINGS_URL}#history`);
  await page.locator('#history-rows tr').first().waitFor();
  assert.equal(await page.getByRole('tab', { name: 'Notification history' }).getAttribute('aria-selected'), 'true');
  const sizes = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    innerWidth: window.innerWidth,
    tableWidth: document.getElementById('history-table').scrollWidth,
    wrapWidth: document.getElementById('history-table-wrap').clientWidth,
  }));
  assert.equal(sizes.innerWidth, 375);
  assert.ok(sizes.scrollWidth <= sizes.clientWidth, `no horizontal scroll: ${JSON.stringify(sizes)}`);
  assert.ok(sizes.tableWidth <= sizes.wrapWidth, `the table does not scroll either: ${JSON.stringify(sizes)}`);
  // each value is labelled with its column's name
  assert.equal(await page.locator('#history-rows td.cell-recipient').first()
    .evaluate((td) => getComputedStyle(td, '::before').content), '"Recipient"');
  const small = await page.evaluate(() => Array.from(document.querySelectorAll('main button:not([hidden]), main a.button'))
    .filter((el) => el.offsetParent !== null)
    .map((el) => el.getBoundingClientRect())
    .filter((r) => r.height < 40).length);
  assert.equal(small, 0, 'every visible button (the sort buttons too) is at least 40 px high');
  // the sort buttons are still there
  assert.ok(await page.locator('#history-table thead').getByRole('button', { name: 'Recipient' }).isVisible());
}, { viewport: { width: 375, height: 812 } }));
