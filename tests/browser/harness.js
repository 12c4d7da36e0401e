// The browser tests' harness: the built server on a free loopback port with a
// fresh data dir (CEDARHEIGHTS_BIN, as tests/js runs it), mailpit when a test
// reads mail, headless Chromium through playwright-core, and the page checks
// every test shares (CSP violations, axe-core, screenshots, page weight).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import PocketBase from 'pocketbase';
import { chromium } from 'playwright-core';

import { findBinary, startAcademy, startMailpit as startShared, SUPERUSER } from '../shared/processes.js';

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, 'artifacts');
export { SUPERUSER };
export const PASSWORD = 'family-password-123';


/** startMailpit runs mailpit on free loopback ports, or returns null when it is not installed. */
export async function startMailpit() {
  const bin = findBinary('mailpit');
  return bin ? startShared(bin) : null;
}

/**
 * startServer serves the built binary (tests/shared/processes.js) with the
 * pages from pb_public; with mail, SMTP points at mailpit;
 * beforeServe(bin, dir, env) may load data into the fresh data dir first.
 */
export async function startServer({ mail, beforeServe } = {}) {
  const env = { ACADEMY_PUBLIC_DIR: join(here, '..', '..', 'pb_public') };
  if (mail) Object.assign(env, { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(mail.smtpPort) });
  const academy = await startAcademy({ env, beforeServe });
  return {
    ...academy,
    client() {
      const pb = new PocketBase(academy.url);
      pb.autoCancellation(false);
      return pb;
    },
    async superuser() {
      const pb = this.client();
      await pb.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
      return pb;
    },
  };
}

// The flags Debian's chromium needs here (FIELD-NOTES.md).
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * chromiumPath is CHROMIUM_PATH, else Debian's chromium-headless-shell (the
 * headless build Playwright itself runs headless; .ci/run installs it), else
 * the full chromium. The full browser in headless mode still builds its
 * window's omnibox popup (two WebUI renderers for each new context): about
 * 0.6 s of CPU for each test, the suite's largest cost after the pages
 * themselves; the shell renders the same pages with the same Blink.
 */
export function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return existsSync(HEADLESS_SHELL) ? HEADLESS_SHELL : '/usr/bin/chromium';
}
const HEADLESS_SHELL = '/usr/bin/chromium-headless-shell';

export function launchBrowser() {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}

/**
 * openPage opens a new context (its own storage: one person) and page, and
 * collects what must never happen: CSP violations, uncaught errors, console
 * errors and failed same-origin requests other than the ones a test expects.
 */
export async function openPage(browser, { viewport = { width: 1200, height: 900 }, mobile = false } = {}) {
  const context = await browser.newContext({ viewport: mobile ? { width: 390, height: 844 } : viewport, isMobile: mobile, hasTouch: mobile });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && !/status of (400|401|402|403|404|409|422|503)/.test(text)) problems.push(`console: ${text}`);
    if (/Content Security Policy/i.test(text)) problems.push(`CSP: ${text}`);
  });
  page.problems = problems;
  return { context, page };
}

/** axe runs axe-core in the page; returns the serious and critical violations. */
const axeSource = readFileSync(join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
export async function axe(page) {
  // Evaluated through the DevTools protocol, which the page's CSP does not
  // govern: the page itself never loads a script from elsewhere. Once per
  // document: compiling axe's 550 KB takes about as long as a run on a
  // small page, and the phone-width run checks the same document.
  if (!(await page.evaluate(() => typeof window.axe?.run === 'function'))) await page.evaluate(`${axeSource};0`);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

/**
 * screenshot writes the page to artifacts/ when SCREENSHOTS=1: nothing is
 * asserted on the pictures, and taking them (PNG encoding in the browser)
 * costs about 1.5 s of CPU, a tenth of the page tests'. shotOnFailure
 * writes one whatever the setting.
 */
export async function screenshot(page, name, { always = false } = {}) {
  if (!always && process.env.SCREENSHOTS !== '1') return;
  mkdirSync(ARTIFACTS, { recursive: true });
  // The whole page, down to SHOT_MAX_HEIGHT: the API reference runs to tens
  // of thousands of pixels (a 6–7 MB PNG at each width, most of the suite's
  // slowest test), and below its first screens it is more of the same rows.
  // An artifact, not a measure, so it gets room on a busy machine.
  const { width } = page.viewportSize();
  const height = Math.min(SHOT_MAX_HEIGHT, await page.evaluate(() => document.documentElement.scrollHeight));
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, clip: { x: 0, y: 0, width, height }, timeout: 60_000 });
}
const SHOT_MAX_HEIGHT = 4000;

/** shotOnFailure writes page's screenshot as `${name}-failed` if test t fails. */
export function shotOnFailure(t, page, name) {
  t.after(async () => {
    if (!t.passed && !page.isClosed()) await screenshot(page, `${name}-failed`, { always: true }).catch(() => {});
  });
}

/**
 * pageWeight loads path in a fresh context and sums the gzipped bytes of
 * its first load: the HTML, scripts (modules included) and styles.
 */
export async function pageWeight(browser, url) {
  const { context, page } = await openPage(browser);
  const parts = [];
  page.on('response', async (res) => {
    const type = res.request().resourceType();
    if (!['document', 'script', 'stylesheet'].includes(type) || !res.url().startsWith(new URL(url).origin)) return;
    parts.push(res.body().then((b) => ({ url: res.url(), raw: b.length, gz: gzipSync(b).length })).catch(() => null));
  });
  await page.goto(url, { waitUntil: 'load' });
  const files = (await Promise.all(parts)).filter(Boolean);
  // The page's own API calls may still be under way: closing aborts them,
  // which the server leaves unanswered and does not count as an error
  // (hooks/client_gone.go).
  await context.close();
  return { files, raw: files.reduce((n, f) => n + f.raw, 0), gz: files.reduce((n, f) => n + f.gz, 0) };
}

// ---- seed data through the SDK, as the owner would through the admin UI.

const pbDate = (d) => d.toISOString().replace('T', ' ');
/** nextWeekday is the first weekday (0 = Sunday) at hh:mm UTC at least `days` ahead. */
export function nextWeekday(weekday, hh, mm = 0, days = 3) {
  const d = new Date(Date.now() + days * 24 * 3600_000);
  d.setUTCHours(hh, mm, 0, 0);
  d.setUTCDate(d.getUTCDate() + ((weekday - d.getUTCDay() + 7) % 7));
  return d;
}
export const at = (d, minutes = 30) => ({ start: pbDate(d), end: pbDate(new Date(d.getTime() + minutes * 60_000)) });

export async function account(su, email, name, role) {
  return su.collection('users').create({ email, name, role, password: PASSWORD, passwordConfirm: PASSWORD, verified: true });
}

/**
 * seedAcademy: two families, two public teachers (piano on Mondays and
 * Thursdays 15–19, violin on Wednesdays 10–14), plans, a lesson per family
 * a week ahead.
 */
export async function seedAcademy(server) {
  const su = await server.superuser();
  const c = (name) => su.collection(name);
  const parentA = await account(su, 'alice@families.test', 'Alice Anders', 'parent');
  const parentB = await account(su, 'bob@families.test', 'Bob Brown', 'parent');
  const xUser = await account(su, 'xavier@teachers.test', 'Xavier Xu', 'teacher');
  const yUser = await account(su, 'yara@teachers.test', 'Yara Young', 'teacher');
  const piano = await c('instruments').create({ name: 'Piano', min_age: 4, active: true });
  const violin = await c('instruments').create({ name: 'Violin', min_age: 4, active: true });
  const teacher = (user, display_name, instruments) => c('teachers').create({
    user: user.id, display_name, instruments, lesson_lengths: ['30', '45'], capacity: 20,
    levels: ['beginner', 'intermediate'], public: true, active: true, bio: '<p>Teaches with patience.</p>',
  });
  const x = await teacher(xUser, 'Xavier Xu', [piano.id]);
  const y = await teacher(yUser, 'Yara Young', [violin.id]);
  for (const weekday of [1, 4]) await c('availability').create({ teacher: x.id, weekday, start_time: '15:00', end_time: '19:00' });
  await c('availability').create({ teacher: y.id, weekday: 3, start_time: '10:00', end_time: '14:00' });
  const plan = await c('pricing_plans').create({
    name: 'Monthly 30', lesson_minutes: 30, lessons_per_period: 4, interval: 'month', amount: 14000, currency: 'cad', public: true, active: true,
  });
  const amy = await c('students').create({ parent: parentA.id, first_name: 'Amy', last_name: 'Anders', status: 'active', instruments: [piano.id], birth_date: '2015-04-02 00:00:00.000Z' });
  const ben = await c('students').create({ parent: parentB.id, first_name: 'Ben', last_name: 'Brown', status: 'active', instruments: [violin.id] });
  const monday = nextWeekday(1, 16, 0, 7);
  const lessonA = await c('lessons').create({ teacher: x.id, student: amy.id, instrument: piano.id, ...at(monday), kind: 'regular', status: 'scheduled' });
  const lessonB = await c('lessons').create({ teacher: y.id, student: ben.id, instrument: violin.id, ...at(nextWeekday(3, 11, 0, 7)), kind: 'regular', status: 'scheduled' });
  return { su, parentA, parentB, xUser, yUser, piano, violin, x, y, plan, amy, ben, lessonA, lessonB, monday };
}

/** signIn signs page in through the page's own form. */
export async function signIn(page, email, password = PASSWORD) {
  await page.getByLabel('E-mail address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * startedLesson makes a third teacher, Zoe Zhang (zoe@teachers.test, piano,
 * available all day on today's weekday), with a lesson for Amy that started
 * two hours ago and is still "scheduled": attendance is due. It is written
 * as completed (back-filling may be in the past) and put back to scheduled,
 * an edit that leaves its time alone.
 */
export async function startedLesson(seed) {
  const { su } = seed;
  const user = await account(su, 'zoe@teachers.test', 'Zoe Zhang', 'teacher');
  const zoe = await su.collection('teachers').create({
    user: user.id, display_name: 'Zoe Zhang', instruments: [seed.piano.id], lesson_lengths: ['30'], capacity: 20, public: false, active: true,
  });
  const start = new Date(Date.now() - 2 * 3600_000);
  start.setUTCMinutes(0, 0, 0);
  await su.collection('availability').create({ teacher: zoe.id, weekday: start.getUTCDay(), start_time: '00:00', end_time: '23:59' });
  const lesson = await su.collection('lessons').create({ teacher: zoe.id, student: seed.amy.id, instrument: seed.piano.id, ...at(start), kind: 'regular', status: 'completed' });
  return { zoe, user, lesson: await su.collection('lessons').update(lesson.id, { status: 'scheduled' }) };
}

/** showWeekOf moves the week view forward until the week holding date shows. */
export async function showWeekOf(page, date) {
  const monday = new Date(date);
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7));
  const from = monday.toISOString().slice(0, 10);
  await page.locator('ul.week').waitFor();
  for (let i = 0; i < 6 && !(await page.locator(`ul.week[data-from="${from}"]`).count()); i++) {
    const shown = await page.locator('ul.week').getAttribute('data-from');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.locator(`ul.week:not([data-from="${shown}"])`).waitFor(); // the next week has loaded
  }
  await page.locator(`ul.week[data-from="${from}"]`).waitFor();
}

