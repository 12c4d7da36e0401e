// The teacher's day in Chromium: attendance on a lesson that has started,
// notes for the family and private notes, the weekly availability with the
// API's field errors beside the row they concern, and time off.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer, seedAcademy, launchBrowser, openPage, signIn, showWeekOf, startedLesson } from './harness.js';

let server;
let seed;
let zoe;
let browser;

before(async () => {
  server = await startServer();
  seed = await seedAcademy(server);
  zoe = await startedLesson(seed);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function asTeacher(email = 'zoe@teachers.test') {
  const { context, page } = await openPage(browser);
  await page.goto(`${server.url}/teacher/`);
  await signIn(page, email);
  await page.getByRole('heading', { name: 'Weekly availability' }).waitFor();
  return { context, page };
}

test('a teacher marks attendance and writes notes for the family and private ones', async () => {
  const { context, page } = await asTeacher();
  // Today's list or "still to mark" (before midnight the lesson was yesterday).
  const card = page.locator(`#today [data-lesson-card="${zoe.lesson.id}"], #tomark [data-lesson-card="${zoe.lesson.id}"]`);
  await card.getByRole('button', { name: 'Attended' }).click();
  await card.getByText('Marked: attended.').waitFor();
  assert.equal((await seed.su.collection('lessons').getOne(zoe.lesson.id)).status, 'completed');

  await card.locator('summary').click();
  await card.getByLabel('Notes for the family').fill('Scales in G: practise hands together.');
  await card.getByLabel('Private notes').fill('Tired today; talk to the parent about sleep.');
  await card.getByRole('button', { name: 'Save the notes' }).click();
  await card.getByText('Notes saved.').waitFor();
  assert.equal((await seed.su.collection('lessons').getOne(zoe.lesson.id)).teacher_notes, 'Scales in G: practise hands together.');
  const priv = await seed.su.collection('lesson_private_notes').getFirstListItem(`lesson = "${zoe.lesson.id}"`);
  assert.equal(priv.note, 'Tired today; talk to the parent about sleep.');
  assert.deepEqual(page.problems, []);
  await context.close();

  // The family reads the shared note with the lesson, never the private one.
  const family = server.client();
  await family.collection('users').authWithPassword('alice@families.test', 'family-password-123');
  assert.equal((await family.collection('lessons').getOne(zoe.lesson.id)).teacher_notes, 'Scales in G: practise hands together.');
  await assert.rejects(family.collection('lesson_private_notes').getOne(priv.id), { status: 404 });
});

test('attendance waits for the lesson to start', async () => {
  const { context, page } = await asTeacher('xavier@teachers.test');
  await showWeekOf(page, seed.monday);
  await page.locator(`[data-lesson="${seed.lessonA.id}"]`).click();
  const dialog = page.getByRole('dialog');
  assert.equal(await dialog.getByRole('button', { name: 'Attended' }).isDisabled(), true);
  await dialog.getByText('Attendance can be marked once the lesson has started.').waitFor();
  await context.close();
});

test('the weekly availability shows the API\'s field errors beside the row, then saves', async () => {
  const { context, page } = await asTeacher();
  const form = page.locator('#availability-form');
  await form.getByRole('button', { name: 'Add a time' }).click();
  const rows = form.locator('[data-row]');
  assert.equal(await rows.count(), 2);
  const second = rows.nth(1);
  await second.getByLabel('Day').selectOption('2');
  await second.getByLabel('From').fill('18:00');
  await second.getByLabel('To').fill('17:00');
  await form.getByRole('button', { name: 'Save the week' }).click();

  // The API names windows.1.end_time: the message sits beside that input.
  const to = second.getByLabel('To');
  await page.waitForFunction(() => document.querySelector('[name="windows.1.end_time"]')?.getAttribute('aria-invalid') === 'true');
  const described = await to.getAttribute('aria-describedby');
  const message = await page.locator(`#${described.split(' ').pop()}`).textContent();
  assert.ok(message.length > 0, 'an error message beside the field');
  assert.equal(await second.locator('.field-error').count(), 1, 'the error is in the row');
  assert.equal(await rows.nth(0).locator('.field-error:not(:empty)').count(), 0, 'the valid row has no error');
  assert.match(await form.locator('.form-status').textContent(), /correct the marked fields/);
  let windows = await seed.su.collection('availability').getFullList({ filter: `teacher = "${zoe.zoe.id}"` });
  assert.equal(windows.length, 1, 'nothing saved on an error');

  await to.fill('19:30');
  await form.getByRole('button', { name: 'Save the week' }).click();
  await form.getByText('Your week is saved.').waitFor();
  windows = await seed.su.collection('availability').getFullList({ filter: `teacher = "${zoe.zoe.id}"`, sort: 'weekday' });
  assert.deepEqual(windows.map((w) => [w.weekday, w.start_time, w.end_time]).find((w) => w[0] === 2), [2, '18:00', '19:30']);
  await context.close();
});

test('a teacher adds time off', async () => {
  const { context, page } = await asTeacher();
  const day = new Date(Date.now() + 20 * 864e5).toISOString().slice(0, 10);
  await page.getByLabel('From (day)').fill(day);
  await page.getByLabel('To (day)').fill(day);
  await page.getByLabel('Reason (optional)').fill('Concert');
  await page.getByRole('button', { name: 'Add time off' }).click();
  await page.getByText(/^Time off added/).waitFor();
  const off = await seed.su.collection('time_off').getFullList({ filter: `teacher = "${zoe.zoe.id}"` });
  assert.equal(off.length, 1);
  assert.equal(off[0].start, `${day} 00:00:00.000Z`);
  assert.equal(off[0].reason, 'Concert');
  await page.locator('#timeoff').getByText(/Concert/).waitFor();
  await context.close();
});
