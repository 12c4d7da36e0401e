// The family page in Chromium: a parent signs in through the page, sees only
// its own family, cancels a lesson with the make-up decision shown before it
// confirms, books a make-up into a free slot, is offered alternatives when the
// slot is taken meanwhile, gets its calendar link, and finds the billing page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer, seedAcademy, launchBrowser, openPage, signIn, showWeekOf, at, nextWeekday } from './harness.js';

let server;
let seed;
let browser;

before(async () => {
  server = await startServer();
  seed = await seedAcademy(server);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function asAlice() {
  const { context, page } = await openPage(browser);
  await page.goto(`${server.url}/account/`);
  await signIn(page, 'alice@families.test');
  await page.getByRole('heading', { name: 'Students' }).waitFor();
  return { context, page };
}

test('a parent signs in and sees only its own family', async () => {
  const { context, page } = await asAlice();
  await assert.doesNotReject(page.locator(`[data-student="${seed.amy.id}"]`).waitFor());
  assert.equal(await page.locator(`[data-student="${seed.ben.id}"]`).count(), 0, 'another family\'s student is shown');
  assert.match(await page.locator('[data-who]').textContent(), /Alice Anders/);

  await showWeekOf(page, seed.monday);
  await page.locator(`[data-lesson="${seed.lessonA.id}"]`).waitFor();
  // Ben's lesson, in the week it falls in: never on Alice's page.
  const benStart = new Date(seed.lessonB.start.replace(' ', 'T'));
  await showWeekOf(page, benStart);
  assert.equal(await page.locator(`[data-lesson="${seed.lessonB.id}"]`).count(), 0, 'another family\'s lesson is shown');
  await page.getByRole('button', { name: 'Month' }).click();
  await page.locator('table.month').waitFor();
  assert.equal(await page.locator(`[data-lesson="${seed.lessonB.id}"]`).count(), 0);
  // The month view shows Alice's lesson on its day (when it falls in this month).
  const monthFrom = await page.locator('table.month').getAttribute('data-from');
  if (monthFrom.slice(0, 7) === seed.lessonA.start.slice(0, 7)) await page.locator(`[data-lesson="${seed.lessonA.id}"]`).waitFor();
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a parent cancels with enough notice, is told the make-up decision first, and books a make-up', async () => {
  const { context, page } = await asAlice();
  await showWeekOf(page, seed.monday);
  await page.locator(`[data-lesson="${seed.lessonA.id}"]`).click();
  const dialog = page.getByRole('dialog');
  // The decision is shown before anything is cancelled.
  assert.match(await dialog.locator('#makeup-preview').textContent(), /You will get a make-up credit/);
  assert.equal((await seed.su.collection('lessons').getOne(seed.lessonA.id)).status, 'scheduled');

  await dialog.getByRole('button', { name: 'Cancel the lesson' }).click();
  await dialog.getByText(/^Cancelled\./).waitFor();
  assert.match(await dialog.locator('#lesson-status').textContent(), /decision: make-up credit: cancelled \d+h ahead/);
  const cancelled = await seed.su.collection('lessons').getOne(seed.lessonA.id);
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.cancelled_by, 'family');
  await dialog.getByRole('button', { name: 'Close' }).click();

  // The credit is offered for a make-up: free piano slots of the week after.
  const credit = page.locator('[data-credit]');
  await credit.waitFor();
  const weekAfter = new Date(seed.monday.getTime() + 7 * 24 * 3600_000).toISOString().slice(0, 10);
  await credit.getByLabel('Week starting').fill(weekAfter);
  await credit.getByRole('button', { name: 'Show free times' }).click();
  await credit.getByRole('radio').first().waitFor();
  const chosen = await credit.getByRole('radio').first().evaluate((el) => el.labels[0].textContent);
  await credit.getByRole('radio').first().check();
  await credit.getByRole('button', { name: 'Book this make-up' }).click();
  await credit.getByText(/^Booked:/).waitFor();

  const makeups = await seed.su.collection('lessons').getFullList({ filter: `student = "${seed.amy.id}" && kind = "makeup"` });
  assert.equal(makeups.length, 1, 'one make-up lesson');
  assert.ok(chosen.startsWith(new Date(makeups[0].start.replace(' ', 'T')).toLocaleDateString('en-CA', { weekday: 'long', timeZone: 'UTC' })), `booked ${makeups[0].start}, chose ${chosen}`);
  const spent = await seed.su.collection('makeup_credits').getFullList({ filter: `student = "${seed.amy.id}"` });
  assert.equal(spent.length, 1);
  assert.equal(spent[0].used_by, makeups[0].id, 'the credit is spent on the make-up');
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a refused make-up booking shows the alternatives, and one of them books', async () => {
  // A lesson the academy cancels gives Amy a fresh credit.
  const thursday = nextWeekday(4, 17, 0, 14);
  const lesson = await seed.su.collection('lessons').create({
    teacher: seed.x.id, student: seed.amy.id, instrument: seed.piano.id, ...at(thursday), kind: 'regular', status: 'scheduled',
  });
  await seed.su.collection('lessons').update(lesson.id, { status: 'cancelled', cancelled_by: 'academy' });

  const [fresh] = await seed.su.collection('makeup_credits').getFullList({ filter: `source_lesson = "${lesson.id}"` });
  assert.ok(fresh, 'the academy\'s cancellation gives a credit');

  const { context, page } = await asAlice();
  const credit = page.locator(`[data-credit="${fresh.id}"]`);
  await credit.waitFor();
  const week = new Date(thursday.getTime() + 7 * 24 * 3600_000);
  await credit.getByLabel('Week starting').fill(week.toISOString().slice(0, 10));
  await credit.getByRole('button', { name: 'Show free times' }).click();
  const first = credit.getByRole('radio').first();
  await first.waitFor();
  await first.check();

  // Meanwhile another family takes that very slot.
  const { slots } = await server.client().send('/api/v1/public/timeslots', {
    query: { instrument: seed.piano.id, from: week.toISOString().slice(0, 10), to: new Date(week.getTime() + 6 * 864e5).toISOString().slice(0, 10) },
  });
  const taken = slots[0];
  await seed.su.collection('lessons').create({
    teacher: taken.teacher, student: seed.ben.id, instrument: seed.piano.id, start: taken.start, end: taken.end, kind: 'regular', status: 'scheduled',
  });

  await credit.getByRole('button', { name: 'Book this make-up' }).click();
  await credit.getByText(/That time is no longer free/).waitFor();
  assert.match(await credit.locator('.form-status').textContent(), /Pick one of the times offered instead/);
  const offered = await credit.getByRole('radio').count();
  assert.ok(offered > 0, 'alternatives are offered');
  await credit.getByRole('radio').first().check();
  await credit.getByRole('button', { name: 'Book this make-up' }).click();
  await credit.getByText(/^Booked:/).waitFor();
  const spent = await seed.su.collection('makeup_credits').getOne(fresh.id);
  assert.ok(spent.used_by, 'the credit is spent on an alternative');
  const booked = [await seed.su.collection('lessons').getOne(spent.used_by)];
  assert.equal(booked[0].kind, 'makeup');
  assert.notEqual(new Date(booked[0].start.replace(' ', 'T')).getTime(), new Date(taken.start).getTime(), 'not the slot taken');
  await context.close();
});

test('the family calendar link is shown and serves the family\'s lessons', async () => {
  const { context, page } = await asAlice();
  await page.getByRole('button', { name: 'Show my calendar link' }).click();
  const input = page.getByLabel('Calendar link (ICS)');
  await page.waitForFunction(() => document.querySelector('#feed-url').value !== '');
  const url = await input.inputValue();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/calendars\/[A-Za-z0-9]+\.ics$/);
  const ics = await (await fetch(url)).text();
  assert.match(ics, /BEGIN:VCALENDAR/);
  assert.match(ics, /Amy/);
  assert.doesNotMatch(ics, /Ben/);
  await context.close();
});

test('reminders can be turned off from the family page', async (t) => {
  const me = await seed.su.collection('users').getOne(seed.parentA.id);
  if (!Object.hasOwn(me, 'reminders_off')) {
    t.skip('users.reminders_off is not on this server yet (lands with i11-told)');
    return;
  }
  const { context, page } = await asAlice();
  const box = page.getByLabel('E-mail me a reminder the day before each lesson');
  assert.equal(await box.isChecked(), true);
  await box.uncheck();
  await page.getByText('Reminders are off.').waitFor();
  assert.equal((await seed.su.collection('users').getOne(seed.parentA.id)).reminders_off, true);
  await context.close();
});

test('the billing page the dunning mail links to explains offline billing', async () => {
  const { context, page } = await openPage(browser);
  // The mail's link has no trailing slash: the server redirects to the page.
  await page.goto(`${server.url}/account/billing`);
  assert.equal(new URL(page.url()).pathname, '/account/billing/');
  await signIn(page, 'alice@families.test');
  await page.getByRole('button', { name: 'Open the secure payment page' }).click();
  await page.getByText(/takes payments in person/).waitFor();
  assert.match(await page.locator('#balance').textContent(), /Nothing owed/);
  await context.close();
});

test('a teacher account is turned away from the family page', async () => {
  const { context, page } = await openPage(browser);
  await page.goto(`${server.url}/account/`);
  await signIn(page, 'xavier@teachers.test');
  await page.getByText(/This page is not for your account\. Teachers use/).waitFor();
  assert.equal(await page.locator('[data-student]').count(), 0);
  await context.close();
});
