// Every page, signed out and signed in, at a desktop's and a phone's width: no serious
// or critical axe-core violation, no CSP violation or script error, and a
// first load of at most 150 KB gzipped; a screenshot in artifacts/ with
// SCREENSHOTS=1 (and of a page whose test failed). The SDK we serve is npm's
// pocketbase 0.28.1, byte for byte.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';

import { startServer, seedAcademy, startedLesson, launchBrowser, openPage, signIn, showWeekOf, axe, screenshot, shotOnFailure, pageWeight } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const BUDGET = 150 * 1024;

let server;
let seed;
let browser;

before(async () => {
  server = await startServer();
  seed = await seedAcademy(server);
  await startedLesson(seed);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// name, path, who signs in (or nobody), what shows once the page is ready.
const pages = [
  ['public', '/', null, '#plan-list .card'],
  ['account-signin', '/account/', null, 'input[name="identity"]'],
  ['account', '/account/', 'alice@families.test', '#money .price'],
  ['account-billing', '/account/billing/', 'alice@families.test', '#balance:not(:empty)'],
  ['teacher-signin', '/teacher/', null, 'input[name="identity"]'],
  ['teacher', '/teacher/', 'zoe@teachers.test', '#availability-form'],
  ['docs', '/docs/', null, '#docs-ops .op'],
];

for (const [name, path, who, ready] of pages) {
  test(`${name}: accessible on a desktop and a phone, within the CSP`, async (t) => {
    const { context, page } = await openPage(browser);
    shotOnFailure(t, page, name);
    const res = await page.goto(`${server.url}${path}`);
    assert.match(res.headers()['content-security-policy'], /script-src 'self';/, 'the page CSP applies');
    if (who) await signIn(page, who);
    await page.locator(ready).first().waitFor();
    assert.deepEqual(await axe(page), [], 'serious or critical accessibility violations');
    await screenshot(page, name);
    // The same page on a phone's width: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
    assert.deepEqual(await axe(page), [], 'serious or critical accessibility violations on a phone');
    await screenshot(page, `${name}-phone`);
    assert.deepEqual(page.problems, []);
    await context.close();
  });
}

test('the lesson dialog and the month calendar are accessible too', async (t) => {
  const { context, page } = await openPage(browser);
  shotOnFailure(t, page, 'account-dialogs');
  await page.goto(`${server.url}/account/`);
  await signIn(page, 'alice@families.test');
  await page.getByRole('button', { name: 'Month' }).click();
  await page.locator('table.month').waitFor();
  assert.deepEqual(await axe(page), []);
  await screenshot(page, 'account-month');
  await page.getByRole('button', { name: 'Week' }).click();
  await showWeekOf(page, seed.monday);
  await page.locator(`[data-lesson="${seed.lessonA.id}"]`).click();
  await page.getByRole('dialog').waitFor();
  assert.deepEqual(await axe(page), []);
  await screenshot(page, 'account-lesson-dialog');
  await context.close();
});

test('each page\'s first load is at most 150 KB gzipped', async () => {
  for (const path of ['/', '/account/', '/account/billing/', '/teacher/']) {
    const w = await pageWeight(browser, `${server.url}${path}`);
    assert.ok(w.files.some((f) => f.url.endsWith('/vendor/pocketbase.es.mjs')), `${path} loads the SDK`);
    assert.ok(w.gz <= BUDGET, `${path}: ${w.gz} bytes gzipped (${w.files.map((f) => `${f.url.replace(server.url, '')} ${f.gz}`).join(', ')})`);
  }
});

test('the served SDK is npm\'s pocketbase 0.28.1 as published', async () => {
  const npm = readFileSync(join(here, 'node_modules', 'pocketbase', 'dist', 'pocketbase.es.mjs'));
  const version = JSON.parse(readFileSync(join(here, 'node_modules', 'pocketbase', 'package.json'), 'utf8')).version;
  assert.equal(version, '0.28.1');
  const served = Buffer.from(await (await fetch(`${server.url}/vendor/pocketbase.es.mjs`)).arrayBuffer());
  assert.ok(served.equals(npm), 'pb_public/vendor/pocketbase.es.mjs differs from the npm package: run `make vendor-sdk`');
  const res = await fetch(`${server.url}/vendor/pocketbase.LICENSE.md`);
  assert.match(await res.text(), /MIT License/);
});
