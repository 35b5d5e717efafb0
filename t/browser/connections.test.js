'use strict';
// The settings page's Slack workspaces section in Debian's chromium: the
// whole OAuth install through the fake Slack's authorize page, the actions on
// a connection (rename, default, test message, delete), revocation warnings,
// and the page's 30-second cache of the list.

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  SETTINGS_URL, FAKE_SLACK_URL, EVENTS_URL, psql, slack, admin, reset, installTeam, closeBrowser, withPage,
} = require('./lib/harness');

const TIMEOUT = { timeout: 90000 };

// The suite's later files find the database and the fake Slack as they were.
test.after(async () => {
  await closeBrowser();
  await reset();
});

// The <li> of one workspace, found by its Slack team id.
function row(page, teamId) {
  return page.locator(`li.connection[data-team-id="${teamId}"]`);
}

async function openSettings(page) {
  await page.goto(SETTINGS_URL);
  await page.locator('#workspace-count').filter({ hasText: /\d+ of \d+/ }).waitFor();
}

test('empty state: "0 of 10" and the Connect button', TIMEOUT, withPage(async ({ page, consoleErrors }) => {
  await reset();
  await openSettings(page);
  assert.equal(await page.locator('#workspace-count').textContent(), '0 of 10 workspaces connected');
  const connect = page.getByRole('link', { name: 'Connect a Slack workspace' });
  assert.ok(await connect.isVisible(), 'the Connect link is shown');
  assert.equal(await connect.getAttribute('href'), `${SETTINGS_URL.replace(/settings\/$/, '')}slack/install`,
    'it leads to the module\'s install endpoint');
  assert.match(await page.locator('#list-status').textContent(), /No Slack workspace is connected yet/);
  assert.equal(await page.locator('li.connection').count(), 0);
  assert.ok(await page.getByRole('tab', { name: 'General' }).isVisible(), 'the General tab');
  assert.equal(await page.getByRole('tab', { name: 'General' }).getAttribute('aria-selected'), 'true');
  assert.deepEqual(consoleErrors, [], 'no script errors');
}));

test('the full install: Connect → Slack\'s page → Allow → success banner, listed as default', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    await openSettings(page);
    await page.getByRole('link', { name: 'Connect a Slack workspace' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${FAKE_SLACK_URL}/oauth/v2/authorize`));
    await page.getByLabel('Workspace id').fill('T0BROWSER1');
    await page.getByLabel('Workspace name').fill('Browser Co');
    await page.getByRole('button', { name: 'Allow' }).click();

    await page.waitForURL(SETTINGS_URL);   // the query is gone from the address bar
    const banner = page.locator('#banner-area .banner');
    await banner.waitFor();
    assert.match(await banner.textContent(), /Connected workspace Browser Co/);
    assert.ok(await banner.evaluate((el) => el.classList.contains('banner-success')));
    assert.equal(page.url(), SETTINGS_URL, 'no slack_install query left in the address bar');
    assert.equal(await page.evaluate(() => window.location.search), '');

    const listed = row(page, 'T0BROWSER1');
    await listed.waitFor();
    assert.equal(await listed.locator('.connection-name').textContent(), 'Browser Co');
    assert.ok(await listed.locator('.badge-default').isVisible(), 'the first workspace is the default');
    assert.equal(await listed.locator('.badge-status').textContent(), 'Active');
    assert.match(await listed.locator('.fact-installed').textContent(), /by admin/);
    assert.equal(await page.locator('#workspace-count').textContent(), '1 of 10 workspaces connected');
    assert.equal(psql("SELECT team_name || '|' || is_default::int FROM sap_connections"), 'Browser Co|1');

    // A reload does not show the banner again (the query is gone).
    await page.reload();
    await row(page, 'T0BROWSER1').waitFor();
    assert.equal(await page.locator('#banner-area .banner').count(), 0);
  }));

test('Cancel on Slack\'s page: the access_denied banner', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  await openSettings(page);
  await page.getByRole('link', { name: 'Connect a Slack workspace' }).click();
  await page.waitForURL((url) => url.href.startsWith(`${FAKE_SLACK_URL}/oauth/v2/authorize`));
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.waitForURL(SETTINGS_URL);
  const banner = page.locator('#banner-area .banner');
  await banner.waitFor();
  assert.ok(await banner.evaluate((el) => el.classList.contains('banner-error')));
  assert.equal(await banner.getAttribute('role'), 'alert');
  assert.match(await banner.textContent(), /You cancelled the installation on Slack's page/);
  assert.equal(await page.evaluate(() => window.location.search), '');
  assert.equal(await page.locator('#workspace-count').textContent(), '0 of 10 workspaces connected');
  assert.equal(psql('SELECT count(*) FROM sap_connections'), '0');
}));

test('rename: a bad name shows the module\'s message, a good one shows up in the list', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    await installTeam('T0RENAME01', 'Rename Co');
    await openSettings(page);
    const listed = row(page, 'T0RENAME01');
    await listed.getByRole('button', { name: /^Rename/ }).click();
    const input = listed.getByLabel('Display name');
    assert.equal(await input.inputValue(), 'Rename Co', 'the form starts with the current name');

    await input.fill('x'.repeat(81));
    await listed.getByRole('button', { name: 'Save name' }).click();
    const message = listed.locator('.connection-message');
    await message.filter({ hasText: /display_name must be text of 1 to 80 characters/ }).waitFor();
    assert.ok(await message.evaluate((el) => el.classList.contains('is-error')));
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
    assert.equal(psql("SELECT display_name FROM sap_connections WHERE team_id = 'T0RENAME01'"), 'Rename Co');

    await input.fill('  Finance Slack  ');
    await listed.getByRole('button', { name: 'Save name' }).click();
    await listed.locator('.connection-name').filter({ hasText: /^Finance Slack$/ }).waitFor();
    assert.ok(await input.isHidden(), 'the form closes');
    assert.match(await message.textContent(), /Renamed to Finance Slack/);
    assert.equal(psql("SELECT display_name FROM sap_connections WHERE team_id = 'T0RENAME01'"), 'Finance Slack');
    // the team's own name stays visible beside the new label
    assert.match(await listed.locator('.fact-team').textContent(), /Rename Co · T0RENAME01/);

    await page.reload();
    assert.equal(await row(page, 'T0RENAME01').locator('.connection-name').textContent(), 'Finance Slack');
  }));

test('make default moves the badge', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  await installTeam('T0FIRST001', 'First Co');
  await installTeam('T0SECOND01', 'Second Co');
  await openSettings(page);
  const first = row(page, 'T0FIRST001');
  const second = row(page, 'T0SECOND01');
  assert.ok(await first.locator('.badge-default').isVisible());
  assert.ok(await second.locator('.badge-default').isHidden());
  assert.equal(await first.getByRole('button', { name: /^Make default/ }).count(), 0,
    'no Make default on the default itself');

  await second.getByRole('button', { name: /^Make default/ }).click();
  await second.locator('.badge-default').waitFor({ state: 'visible' });
  assert.ok(await first.locator('.badge-default').isHidden(), 'the badge left the first workspace');
  assert.match(await second.locator('.connection-message').textContent(), /Second Co is now the default workspace/);
  assert.equal(psql("SELECT team_id FROM sap_connections WHERE is_default"), 'T0SECOND01');

  // A revoked workspace cannot become the default: the module's 409 message.
  const firstId = psql("SELECT id FROM sap_connections WHERE team_id = 'T0FIRST001'");
  psql(`UPDATE sap_connections SET status = 'revoked' WHERE id = ${firstId}`);
  await first.getByRole('button', { name: /^Make default/ }).click();
  await first.locator('.connection-message').filter({ hasText: /re-authorise it before making it the default/ }).waitFor();
  assert.equal(psql("SELECT team_id FROM sap_connections WHERE is_default"), 'T0SECOND01');
}));

test('test message: an existing channel succeeds, a missing one explains channel_not_found', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    await installTeam('T0TESTMSG1', 'Test Co');
    await slack('POST', 'channels', { id: 'C0BROWSER1', team_id: 'T0TESTMSG1', name: 'approvals' });
    await openSettings(page);
    const listed = row(page, 'T0TESTMSG1');
    await listed.getByRole('button', { name: /^Send test message/ }).click();
    const target = listed.getByLabel('Channel or email address');
    const message = listed.locator('.connection-message');

    await target.fill('#approvals');
    await listed.getByRole('button', { name: 'Send', exact: true }).click();
    await message.filter({ hasText: /Test message sent to #approvals/ }).waitFor();
    assert.ok(await message.evaluate((el) => el.classList.contains('is-success')));
    const posted = (await slack('GET', 'messages?channel=C0BROWSER1')).messages;
    assert.equal(posted.length, 1, 'one message in the channel');
    assert.match(posted[0].text, /Test message/);

    await target.fill('C0MISSING9');
    await listed.getByRole('button', { name: 'Send', exact: true }).click();
    await message.filter({ hasText: /The channel does not exist, or the bot cannot see it/ }).waitFor();
    assert.ok(await message.evaluate((el) => el.classList.contains('is-error')));
    assert.equal(await listed.locator('.badge-status').textContent(), 'Active', 'still active');

    // An email address goes as {"email"}: the user is looked up and DMed.
    await slack('POST', 'users', { id: 'U0BROWSER1', team_id: 'T0TESTMSG1', email: 'ada@example.com', name: 'ada' });
    await target.fill('ada@example.com');
    await listed.getByRole('button', { name: 'Send', exact: true }).click();
    await message.filter({ hasText: /Test message sent to ada@example.com/ }).waitFor();
    const lookups = (await slack('GET', 'calls?method=users.lookupByEmail')).calls;
    assert.equal(lookups.at(-1).args.email, 'ada@example.com');
  }));

test('delete after confirming removes the row', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  await installTeam('T0DELETE01', 'Delete Co');
  await installTeam('T0KEEP0001', 'Keep Co');
  await openSettings(page);
  const doomed = row(page, 'T0DELETE01');

  // Cancel keeps it.
  await doomed.getByRole('button', { name: /^Delete/ }).click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Delete Delete Co\?/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(psql('SELECT count(*) FROM sap_connections'), '2');
  assert.ok(await doomed.isVisible());

  await doomed.getByRole('button', { name: /^Delete/ }).click();
  await dialog.getByRole('button', { name: 'Delete workspace' }).click();
  await doomed.waitFor({ state: 'detached' });
  const banner = page.locator('#banner-area .banner');
  assert.match(await banner.textContent(), /Deleted Delete Co\./);
  assert.match(await banner.textContent(), /revoked at Slack/);
  assert.match(await banner.textContent(), /Keep Co is now the default workspace/);
  assert.equal(await page.locator('#workspace-count').textContent(), '1 of 10 workspaces connected');
  assert.equal(psql("SELECT string_agg(team_id, ',') FROM sap_connections"), 'T0KEEP0001');
  assert.ok(await row(page, 'T0KEEP0001').locator('.badge-default').isVisible());
}));

test('a revoked workspace shows the re-authorise warning after a reload, and re-authorising restores it', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    const { token } = await installTeam('T0REVOKE01', 'Revoke Co');
    await openSettings(page);
    assert.ok(await row(page, 'T0REVOKE01').locator('.connection-warning').isHidden());
    assert.ok(await page.locator('#warnings').isHidden());

    const revoked = await slack('POST', 'tokens/revoke', { token, deliver_to: EVENTS_URL });
    assert.equal(revoked.delivery.status, 200, 'the module took the tokens_revoked event');
    assert.equal(psql("SELECT status FROM sap_connections WHERE team_id = 'T0REVOKE01'"), 'revoked');

    await page.reload();
    const listed = row(page, 'T0REVOKE01');
    const warning = listed.locator('.connection-warning');
    await warning.waitFor({ state: 'visible' });
    assert.match(await warning.textContent(), /Slack no longer accepts this workspace's token/);
    assert.match(await warning.textContent(), /Re-authorise/);
    assert.equal(await listed.locator('.badge-status').textContent(), 'Revoked');
    const install = (await admin('GET', '/admin/api/connections')).json.install_url;
    assert.equal(await warning.getByRole('link', { name: /Re-authorise/ }).getAttribute('href'), install);

    const warnings = page.locator('#warnings');
    assert.ok(await warnings.isVisible(), 'the instance error is listed');
    assert.match(await warnings.textContent(), /Revoke Co \(T0REVOKE01\): Token revoked/);
    assert.match(await warnings.textContent(), /Re-authorise this workspace/);

    // Re-authorise: through Slack's page again, for the same workspace.
    await warning.getByRole('link', { name: /Re-authorise/ }).click();
    await page.waitForURL((url) => url.href.startsWith(`${FAKE_SLACK_URL}/oauth/v2/authorize`));
    await page.getByLabel('Workspace id').fill('T0REVOKE01');
    await page.getByLabel('Workspace name').fill('Revoke Co');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(SETTINGS_URL);
    await page.locator('#banner-area .banner').filter({ hasText: /Re-authorised Revoke Co/ }).waitFor();
    await row(page, 'T0REVOKE01').locator('.badge-status').filter({ hasText: 'Active' }).waitFor();
    assert.ok(await row(page, 'T0REVOKE01').locator('.connection-warning').isHidden());
    assert.ok(await page.locator('#warnings').isHidden(), 'the instance error is resolved');
  }));

test('a display name with markup is shown as text', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  const { connection } = await installTeam('T0MARKUP01', 'Markup Co');
  const evil = '<img src=x onerror="window.__pwned=1">';
  const renamed = await admin('PATCH', `/admin/api/connections/${connection.id}`, { display_name: evil });
  assert.equal(renamed.status, 200);
  await openSettings(page);
  const listed = row(page, 'T0MARKUP01');
  assert.equal(await listed.locator('.connection-name').textContent(), evil, 'the name, character for character');
  assert.equal(await page.locator('main img').count(), 0, 'no image element was created');
  // the confirm dialog and the aria-labels carry it as text too
  await listed.getByRole('button', { name: /^Delete/ }).click();
  assert.equal(await page.locator('#confirm-title').textContent(), `Delete ${evil}?`);
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await page.locator('dialog img, main img').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
}));

test('the list is cached for 30 seconds and dropped after a write', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  await installTeam('T0CACHE001', 'Cache Co');
  let listCalls = 0;
  page.on('request', (req) => {
    if (req.method() === 'GET' && new URL(req.url()).pathname.endsWith('/admin/api/connections')) {
      listCalls += 1;
    }
  });
  await page.clock.install();
  await openSettings(page);
  await row(page, 'T0CACHE001').waitFor();
  assert.equal(listCalls, 1, 'one GET for the page');

  // Coming back to the page within 30 s: from the cache.
  const comeBack = () => page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await page.clock.fastForward(20000);
  await comeBack();
  await page.waitForTimeout(300);
  assert.equal(listCalls, 1, 'within 30 s the list is not fetched again');

  // After 30 s: fetched again.
  await page.clock.fastForward(11000);
  const fetched = page.waitForResponse((res) => new URL(res.url()).pathname.endsWith('/admin/api/connections'));
  await comeBack();
  await fetched;
  assert.equal(listCalls, 2, 'after 30 s it is fetched again');

  // A write drops the cache at once.
  const listed = row(page, 'T0CACHE001');
  await listed.getByRole('button', { name: /^Rename/ }).click();
  await listed.getByLabel('Display name').fill('Cache Co renamed');
  await listed.getByRole('button', { name: 'Save name' }).click();
  await listed.locator('.connection-name').filter({ hasText: 'Cache Co renamed' }).waitFor();
  assert.equal(listCalls, 3, 'the rename fetched the list again');
  await comeBack();
  await page.waitForTimeout(300);
  assert.equal(listCalls, 3, 'and that answer is cached in turn');
}));

test('ten workspaces: "10 of 10" and Connect disabled with an explanation', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  for (let i = 0; i < 10; i++) {
    await installTeam(`T0LIMIT0${i}0`, `Limit ${i}`);
  }
  await openSettings(page);
  assert.equal(await page.locator('#workspace-count').textContent(), '10 of 10 workspaces connected');
  assert.equal(await page.getByRole('link', { name: 'Connect a Slack workspace' }).count(), 0);
  const button = page.getByRole('button', { name: 'Connect a Slack workspace' });
  assert.ok(await button.isDisabled());
  assert.match(await page.locator('#connect-note').textContent(), /Delete one to connect another/);
  assert.equal(await page.locator('li.connection').count(), 10);
}));
