// The public site in Chromium: the academy's catalogue, and a newcomer's trial
// booking through POST /api/v1/public/enrollments — with the mouse, with the
// keyboard alone, refused with alternatives, with the API's field errors —
// down to the confirmation mail (mailpit) and the run confirmed live.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer, startMailpit, seedAcademy, launchBrowser, openPage } from './harness.js';

let server;
let seed;
let mail;
let browser;
let enrollmentsLanded = false;

before(async () => {
  mail = await startMailpit();
  if (!mail && process.env.MAILPIT_REQUIRED === '1') throw new Error('mailpit is required (MAILPIT_REQUIRED=1) but not installed');
  server = await startServer({ mail });
  seed = await seedAcademy(server);
  browser = await launchBrowser();
  // The route arrives with the enrollment workflow: an empty body is a 400 then.
  const probe = await fetch(`${server.url}/api/v1/public/enrollments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  enrollmentsLanded = probe.status !== 404;
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await mail?.stop();
});

const needsEnrollments = (t) => {
  if (enrollmentsLanded) return false;
  t.skip('POST /api/v1/public/enrollments is not on this server yet (lands with i11-enroll)');
  return true;
};

/** pickSlot chooses piano, the week of the seed's Monday, and the slot at index. */
async function pickSlot(page, index = 0) {
  await page.getByLabel('Instrument', { exact: true }).selectOption({ label: 'Piano' });
  await page.getByLabel('Week starting').fill(seed.monday.toISOString().slice(0, 10));
  await page.getByRole('button', { name: 'Show free times' }).click();
  const radio = page.locator('#slots input[type="radio"]').nth(index);
  await radio.check();
  return radio.evaluate((el) => el.labels[0].textContent);
}

async function fillDetails(page, who) {
  await page.getByLabel('Your name').fill(who.name);
  await page.getByLabel('E-mail address').fill(who.email);
  await page.getByLabel('Phone (optional)').fill('+1 604 555 0100');
  if (who.password) await page.getByLabel('Choose a password (optional)').fill(who.password);
  await page.getByLabel('First name').fill(who.child);
  await page.getByLabel('Last name').fill('Newcomer');
  await page.getByLabel('Date of birth').fill('2016-05-04');
}

test('the front page shows the academy, its instruments, public teachers and prices', async () => {
  const { context, page } = await openPage(browser);
  await page.goto(server.url);
  await page.getByText('Xavier Xu').waitFor();
  // Instruments, teachers and prices load each on its own: the teachers
  // showing says nothing of the prices (seen 'Loading…' under load).
  await page.locator('#instruments').getByText('Violin').first().waitFor();
  await page.locator('#plan-list .card').first().waitFor();
  assert.match(await page.locator('#instruments').textContent(), /Piano.*Violin/s);
  assert.match(await page.locator('#teacher-list').textContent(), /Yara Young/);
  assert.match(await page.locator('#plan-list').textContent(), /Monthly 30.*\$140\.00 per month/s);
  assert.equal(await page.title(), 'Cedar Heights Music Academy');
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a click on "Show free times" while the prices still load is answered, not lost', async () => {
  const { context, page } = await openPage(browser);
  // The page loads instruments, teachers and prices at once; the prices are
  // held back until the visitor has clicked, so the click always comes
  // while the catalogue still loads.
  let release;
  const clicked = new Promise((resolve) => { release = resolve; });
  await page.route('**/api/v1/public/pricing*', async (route) => {
    await clicked;
    await route.continue();
  });
  await page.goto(server.url);
  await page.getByLabel('Instrument', { exact: true }).selectOption({ label: 'Piano' });
  await page.getByLabel('Week starting').fill(seed.monday.toISOString().slice(0, 10));
  await page.getByRole('button', { name: 'Show free times' }).click();
  assert.equal(await page.locator('#plan-list .card').count(), 0, 'the prices were still loading at the click');
  release();
  const radio = page.locator('#slots input[type="radio"]').first();
  await radio.check();
  const label = await radio.evaluate((el) => el.labels[0].textContent);
  assert.ok(label.trim().length > 0, 'a slot was listed and chosen');
  await context.close();
});

test('a newcomer books a trial, receives the confirmation mail, and sees it confirmed live', async (t) => {
  if (needsEnrollments(t)) return;
  if (!mail) { t.skip('mailpit is not installed (go install github.com/axllent/mailpit@v1.33.1)'); return; }
  const { context, page } = await openPage(browser);
  await page.goto(server.url);
  const chosen = await pickSlot(page);
  await fillDetails(page, { name: 'Nora New', email: 'nora@newcomers.test', password: 'a-long-password-1', child: 'Nils' });
  await page.getByRole('button', { name: 'Book the trial lesson' }).click();
  await page.getByText(/Almost done: open the link we sent/).waitFor();
  assert.equal(await page.locator('#progress-steps [data-state="done"]').count() >= 4, true, 'checked, account, teacher and hold are done');

  // The confirmation mail arrives at mailpit (beside the trial's own notice).
  let token;
  for (let i = 0; i < 100 && !token; i++) {
    for (const m of (await mail.messages()).filter((x) => x.To?.some((to) => to.Address === 'nora@newcomers.test'))) {
      token ??= /confirm-verification\/([\w.-]+)/.exec((await mail.message(m.ID)).Text)?.[1];
    }
    if (!token) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(token, 'a mail with the confirmation link reached nora@newcomers.test');

  // Nora confirms from the mail; the page, following the run over realtime, says so.
  await server.client().collection('users').confirmVerification(token);
  await page.getByText(/^Confirmed: the trial lesson is on/).waitFor({ timeout: 20_000 });
  const status = await page.locator('#progress-status').textContent();
  assert.ok(status.includes(chosen.split(' with ')[0]), `the confirmed time (${status}) is the one chosen (${chosen})`);
  assert.match(status, /Xavier Xu/);
  const enrollment = await seed.su.collection('enrollments').getFirstListItem('source = "public"');
  assert.equal(enrollment.status, 'active');
  assert.deepEqual(page.problems, []);
  await context.close();
});

test('a refused trial booking shows the alternatives offered, and one of them books', async (t) => {
  if (needsEnrollments(t)) return;
  const { context, page } = await openPage(browser);
  await page.goto(server.url);
  await pickSlot(page, 2);
  await fillDetails(page, { name: 'Omar Other', email: 'omar@newcomers.test', child: 'Olga' });

  // Meanwhile the academy books that slot for someone else.
  const { slots } = await server.client().send('/api/v1/public/timeslots', {
    query: { instrument: seed.piano.id, from: seed.monday.toISOString().slice(0, 10), to: new Date(seed.monday.getTime() + 6 * 864e5).toISOString().slice(0, 10) },
  });
  const taken = slots[2];
  await seed.su.collection('lessons').create({
    teacher: taken.teacher, student: seed.ben.id, instrument: seed.piano.id, start: taken.start, end: taken.end, kind: 'regular', status: 'scheduled',
  });

  await page.getByRole('button', { name: 'Book the trial lesson' }).click();
  await page.getByText(/Pick one of the times offered in step 2/).waitFor();
  assert.match(await page.locator('#slot-status').textContent(), /Times offered instead: \d+ to choose from/);
  const offered = await page.locator('#slots input[type="radio"]').evaluateAll((els) => els.map((el) => el.dataset.start));
  assert.ok(offered.length > 0, 'alternatives are listed');
  assert.ok(!offered.includes(new Date(taken.start).toISOString()), 'the taken slot is not offered again');
  await page.locator('#slots input[type="radio"]').first().check();
  await page.getByRole('button', { name: 'Book the trial lesson' }).click();
  await page.getByText(/Almost done: we sent a link to omar@newcomers\.test/).waitFor();
  await context.close();
});

test('the API\'s field errors show beside the fields they name', async (t) => {
  if (needsEnrollments(t)) return;
  const { context, page } = await openPage(browser);
  await page.goto(server.url);
  await pickSlot(page, 1);
  await page.getByLabel('E-mail address').fill('not-an-address');
  await page.getByRole('button', { name: 'Book the trial lesson' }).click();
  const email = page.getByLabel('E-mail address');
  await page.waitForFunction(() => document.querySelector('[name="parent.email"]').getAttribute('aria-invalid') === 'true');
  for (const name of ['parent.name', 'parent.email', 'student.first_name', 'student.last_name', 'student.birth_date']) {
    const input = page.locator(`[name="${name}"]`);
    assert.equal(await input.getAttribute('aria-invalid'), 'true', `${name} is marked`);
    const box = page.locator(`#${(await input.getAttribute('aria-describedby')).split(' ').pop()}`);
    assert.ok((await box.textContent()).length > 0, `${name} has its message`);
    assert.equal(await box.evaluate((el, id) => el.closest('.field').contains(document.getElementById(id)), await input.getAttribute('id')), true, `${name}'s message is beside it`);
  }
  assert.equal(await page.evaluate(() => document.activeElement.name), 'parent.name', 'the first field in error has the focus');
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  await context.close();
});

/** tabTo presses Tab until the focused element matches selector. */
async function tabTo(page, selector, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${selector} is not reachable with Tab`);
}

test('the booking flow with the keyboard alone', async () => {
  const { context, page } = await openPage(browser);
  await page.goto(server.url);
  await page.getByText('Xavier Xu').waitFor();
  const sent = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().includes('/api/v1/public/enrollments')) sent.push(req.postDataJSON());
  });

  await tabTo(page, '#instrument');
  await page.keyboard.press('ArrowDown'); // "Piano", the first instrument
  assert.equal(await page.locator('#instrument').inputValue(), seed.piano.id);
  await tabTo(page, '#find-slots');
  await page.keyboard.press('Enter');
  await page.locator('#slots input[type="radio"]').first().waitFor();
  await tabTo(page, '#slots input[type="radio"]');
  await page.keyboard.press('Space');
  const chosen = await page.evaluate(() => document.activeElement.labels[0].textContent);
  const fields = [
    ['#p-name', 'Kim Keys'], ['#p-email', 'kim@newcomers.test'], ['#p-phone', '+1 604 555 0111'],
    ['#p-password', 'a-long-password-2'], ['#s-first', 'Kai'], ['#s-last', 'Keys'],
  ];
  for (const [sel, text] of fields) {
    await tabTo(page, sel);
    await page.keyboard.type(text);
  }
  await tabTo(page, '#s-birth');
  await page.keyboard.type('05042016'); // mm dd yyyy in the en-US date field
  assert.equal(await page.locator('#s-birth').inputValue(), '2016-05-04');
  await tabTo(page, '#book-submit');
  await page.keyboard.press('Enter');

  await page.waitForFunction(() => !document.querySelector('#progress').hidden || document.querySelector('#booking .form-status').textContent);
  assert.equal(sent.length, 1, 'one enrollment request');
  assert.equal(sent[0].student.instrument, seed.piano.id);
  assert.equal(sent[0].parent.email, 'kim@newcomers.test');
  assert.equal(sent[0].student.birth_date, '2016-05-04');
  assert.equal(sent[0].trial.teacher, seed.x.id);
  assert.equal(sent[0].website, '', 'the honeypot stays empty and out of the tab order');
  if (enrollmentsLanded) {
    await page.getByText(/Almost done/).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'progress-h', 'the progress heading takes the focus');
  } else {
    assert.match(await page.locator('#booking .form-status').textContent(), /not open on this server yet/);
  }
  assert.ok(chosen.includes('Xavier Xu'));
  await context.close();
});
