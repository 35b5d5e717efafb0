'use strict';
// The settings page itself: the install result banners for every reason the
// module's OAuth callback gives, their text-only rendering, the page on a
// phone-sized screen (workspaces and notification settings), the tabs, the
// files httpd serves, and the admin login.

const test = require('node:test');
const assert = require('node:assert/strict');
const {
  SETTINGS_URL, MODULE_URL, admin, reset, installTeam, closeBrowser, withPage, browser,
} = require('./lib/harness');

const TIMEOUT = { timeout: 90000 };

test.after(async () => {
  await closeBrowser();
  await reset();
});

async function bannerFor(page, query) {
  await page.goto(`${SETTINGS_URL}?${query}`);
  const banner = page.locator('#banner-area .banner');
  await banner.waitFor();
  return banner;
}

test('install results: a sentence per outcome and reason, then the query leaves the address bar', TIMEOUT,
  withPage(async ({ page }) => {
    await reset();
    const cases = [
      ['slack_install=ok&outcome=created&team=Acme+Corp', /Connected workspace Acme Corp/, 'success'],
      ['slack_install=ok&outcome=updated&team=Acme', /Updated Acme/, 'success'],
      ['slack_install=ok&outcome=restored&team=Acme', /Re-authorised Acme/, 'success'],
      ['slack_install=error&reason=access_denied', /You cancelled the installation on Slack's page/, 'error'],
      ['slack_install=error&reason=invalid_state', /install link is not valid.*Start again/, 'error'],
      ['slack_install=error&reason=expired_state', /expired.*10 minutes/, 'error'],
      ['slack_install=error&reason=used_state', /already used.*Start again/, 'error'],
      ['slack_install=error&reason=other_admin', /started by another admin/, 'error'],
      ['slack_install=error&reason=missing_code', /without an authorization code/, 'error'],
      ['slack_install=error&reason=missing_scope', /not granted all the permissions.*scopes.*manifest/, 'error'],
      ['slack_install=error&reason=limit_reached', /At most 10 workspaces.*Delete one first/, 'error'],
      ['slack_install=error&reason=team_mismatch', /different workspace/, 'error'],
      ['slack_install=error&reason=unavailable', /database could not be reached/, 'error'],
      ['slack_install=error&reason=slack_error', /Slack reported an error/, 'error'],
      ['slack_install=error&reason=invalid_code', /did not accept the authorization code/, 'error'],
      ['slack_install=error&reason=bad_redirect_uri',
        new RegExp(`SlackApprovalsPublicURL \\+ /slack/oauth/callback \\(for this page: ${MODULE_URL}/slack/oauth/callback\\)`),
        'error'],
      ['slack_install=error&reason=invalid_client_id', /SlackApprovalsClientID/, 'error'],
      ['slack_install=error&reason=bad_client_secret', /SlackApprovalsClientSecretFile/, 'error'],
      ['slack_install=error&reason=transport_error', /Slack could not be reached/, 'error'],
      ['slack_install=error&reason=request_timeout', /Slack could not be reached/, 'error'],
      ['slack_install=error&reason=http_error', /Slack could not be reached/, 'error'],
      ['slack_install=error&reason=invalid_response', /Slack could not be reached/, 'error'],
      ['slack_install=error&reason=ratelimited', /could not be connected \(the reason given was "ratelimited"\)/, 'error'],
    ];
    for (const [query, expected, kind] of cases) {
      const banner = await bannerFor(page, query);
      const text = await banner.textContent();
      assert.match(text, expected, query);
      assert.ok(await banner.evaluate((el, k) => el.classList.contains(`banner-${k}`), kind), `${query}: ${kind}`);
      assert.equal(page.url(), SETTINGS_URL, `${query}: removed from the address bar`);
    }
    // The banner can be dismissed.
    await page.getByRole('button', { name: 'Dismiss this message' }).click();
    assert.equal(await page.locator('#banner-area .banner').count(), 0);
  }));

test('install results with markup are shown as text', TIMEOUT, withPage(async ({ page }) => {
  const evil = '<img src=x onerror="window.__pwned=1">';
  let banner = await bannerFor(page, `slack_install=error&reason=${encodeURIComponent(evil)}`);
  assert.ok((await banner.textContent()).includes(`the reason given was "${evil}"`));
  assert.equal(await page.locator('#banner-area img').count(), 0);
  banner = await bannerFor(page, `slack_install=ok&outcome=created&team=${encodeURIComponent(evil)}`);
  assert.ok((await banner.textContent()).includes(`Connected workspace ${evil}`));
  assert.equal(await page.locator('#banner-area img').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
}));

test('at 375 px wide the page has no horizontal scroll', TIMEOUT, withPage(async ({ page }) => {
  await reset();
  await installTeam('T0PHONE001', 'A workspace with a rather long name for a phone screen');
  const { connection } = await installTeam('T0PHONE002', 'Phone Co');
  // a long unbroken label must wrap too
  await admin('PATCH', `/admin/api/connections/${connection.id}`,
    { display_name: 'Supercalifragilisticexpialidocious-workspace-label-without-spaces' });
  await page.goto(`${SETTINGS_URL}?slack_install=error&reason=bad_redirect_uri`);
  const phoneRow = page.locator('li.connection[data-team-id="T0PHONE002"]');
  await phoneRow.waitFor();
  // open every inline form, so they are measured too
  await phoneRow.getByRole('button', { name: /^Rename/ }).click();
  await phoneRow.getByRole('button', { name: /^Send test message/ }).click();
  // the Notifications section, with a field message and the warnings shown
  const notifications = page.locator('#notifications');
  await page.locator('#settings-form').waitFor();
  await notifications.getByRole('radio', { name: /^Both\b/ }).check();
  await notifications.getByLabel('Default channel').fill('#a-channel-name-that-is-long-and-does-not-exist-anywhere');
  await notifications.getByRole('button', { name: 'Save' }).click();
  await page.locator('#setting-default_channel-error').filter({ hasText: /does not exist/ }).waitFor();
  await notifications.getByLabel('Default channel').fill('');
  await notifications.getByRole('button', { name: 'Save' }).click();
  await page.locator('#settings-warnings').waitFor();
  assert.ok(await notifications.isVisible());
  const sizes = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    innerWidth: window.innerWidth,
  }));
  assert.equal(sizes.innerWidth, 375);
  assert.ok(sizes.scrollWidth <= sizes.clientWidth, `no horizontal scroll: ${JSON.stringify(sizes)}`);
  // buttons stay finger-sized
  const small = await page.evaluate(() => Array.from(document.querySelectorAll('main button:not([hidden]), main a.button'))
    .filter((el) => el.offsetParent !== null)
    .map((el) => el.getBoundingClientRect())
    .filter((r) => r.height < 40).length);
  assert.equal(small, 0, 'every visible button is at least 40 px high');
}, { viewport: { width: 375, height: 812 } }));

test('accessibility basics: labelled controls, live regions, tabs', TIMEOUT, withPage(async ({ page, consoleErrors }) => {
  await reset();
  await installTeam('T0A11Y0001', 'Access Co');
  await page.goto(SETTINGS_URL);
  const listed = page.locator('li.connection[data-team-id="T0A11Y0001"]');
  await listed.waitFor();
  assert.equal(await page.locator('#banner-area').getAttribute('aria-live'), 'polite');
  assert.equal(await page.getByRole('tablist').count(), 1);
  assert.equal(await page.getByRole('tab').count(), 2);
  const historyTab = page.getByRole('tab', { name: 'Notification history' });
  assert.ok(await historyTab.isEnabled(), 'the history tab can be chosen');
  assert.equal(await historyTab.getAttribute('aria-controls'), 'panel-history');
  assert.equal(await page.getByRole('tabpanel').count(), 1, 'only the General panel is shown');
  assert.equal(await page.getByRole('tabpanel').getAttribute('id'), 'panel-general');
  // arrow keys move between the tabs, and only the selected one is in the Tab order
  const generalTab = page.getByRole('tab', { name: 'General' });
  await generalTab.focus();
  await generalTab.press('ArrowRight');
  assert.equal(await historyTab.getAttribute('aria-selected'), 'true');
  assert.ok(await historyTab.evaluate((el) => el === document.activeElement), 'the focus follows');
  assert.equal(await page.getByRole('tabpanel').getAttribute('id'), 'panel-history');
  assert.deepEqual(await page.getByRole('tab').evaluateAll((tabs) => tabs.map((t) => t.tabIndex)), [-1, 0]);
  await historyTab.press('ArrowRight');   // wraps around
  assert.equal(await generalTab.getAttribute('aria-selected'), 'true');
  assert.equal(await page.getByRole('tabpanel').getAttribute('id'), 'panel-general');
  // every action is a real button; every input has a label
  for (const name of ['Rename', 'Send test message', 'Delete']) {
    assert.equal(await listed.getByRole('button', { name: new RegExp(`^${name}: Access Co$`) }).count(), 1, name);
  }
  await listed.getByRole('button', { name: /^Rename/ }).click();
  assert.equal(await listed.getByRole('button', { name: /^Rename/ }).getAttribute('aria-expanded'), 'true');
  assert.ok(await listed.getByLabel('Display name').evaluate((el) => el === document.activeElement),
    'the input has the focus');
  await listed.getByRole('button', { name: /^Send test message/ }).click();
  assert.ok(await listed.getByLabel('Channel or email address').isVisible());
  const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('main input'))
    .filter((el) => !el.labels || el.labels.length === 0).length);
  assert.equal(unlabelled, 0);
  // no inline script or style anywhere
  assert.equal(await page.locator('script:not([src]), style, [style], [onclick]').count(), 0);
  assert.deepEqual(consoleErrors, [], 'no script errors, no refused resources');
}));

test('httpd serves the page below the admin login, with the right types', TIMEOUT, async () => {
  const b = await browser();
  // Without credentials: 401 from httpd's Basic auth.
  const anonymous = await b.newContext();
  try {
    const res = await anonymous.request.get(SETTINGS_URL);
    assert.equal(res.status(), 401, 'the settings page needs the admin login');
  } finally {
    await anonymous.close();
  }
  const auth = 'Basic ' + Buffer.from(`admin:${process.env.SAP_ADMIN_PASSWORD || 'admin-password'}`).toString('base64');
  const get = (url, opts = {}) => fetch(url, { headers: { Authorization: auth }, redirect: 'manual', ...opts });
  const withoutSlash = await get(SETTINGS_URL.replace(/\/$/, ''));
  assert.equal(withoutSlash.status, 301, 'the directory without its slash redirects');
  assert.equal(new URL(withoutSlash.headers.get('location'), SETTINGS_URL).pathname, new URL(SETTINGS_URL).pathname);
  for (const [file, type] of [['', 'text/html'], ['settings.js', 'text/javascript'], ['settings.css', 'text/css']]) {
    const res = await get(SETTINGS_URL + file);
    assert.equal(res.status, 200, `${file || 'index.html'}: 200`);
    assert.match(res.headers.get('content-type'), new RegExp(`^${type}`), `${file || 'index.html'}: ${type}`);
  }
  const api = await get(SETTINGS_URL.replace(/settings\/$/, 'api/connections'));
  assert.equal(api.status, 200, 'the module still answers its admin API beside it');
});
