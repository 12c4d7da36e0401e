// A new family enrolls a child from the public site through the SDK and
// follows the run over realtime: public timeslots → POST
// /api/v1/public/enrollments (with a password, so the parent can sign in)
// → the run waits for the e-mail confirmation → the parent confirms with
// the token from the real mail (mailpit) → the run completes → the
// enrollment is active, the trial lesson is the family's, the welcome mail
// (with its calendar invite) arrived.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MONDAY, startAcademy } from './academy.js';
import { findMailpit, startMailpit } from './mailpit.js';

const settle = (ms) => new Promise((r) => setTimeout(r, ms));
const day = (d) => d.toISOString().slice(0, 10);
const mailpitBin = findMailpit();

describe('a new family enrolls from the public slots', { skip: !mailpitBin && !process.env.MAILPIT_REQUIRED && 'mailpit is not installed (make mailpit)' }, () => {
  let server;
  let ids;
  let mail;
  let family;
  before(async () => {
    if (!mailpitBin) throw new Error('MAILPIT_REQUIRED is set and mailpit is not installed');
    mail = await startMailpit(mailpitBin);
    ({ server, ids } = await startAcademy({ extraEnv: { SMTP_HOST: mail.smtpHost, SMTP_PORT: String(mail.smtpPort) } }));
  });
  after(async () => {
    await family?.realtime.unsubscribe();
    await server?.stop();
    await mail?.stop();
  });

  it('follows the run over realtime until the enrollment is complete', async () => {
    const anonymous = server.client();
    const email = 'nora.new@family.test';
    const password = 'nora-family-pass-1';

    // 1. A free trial slot with the piano teacher, as the public site lists them.
    const from = new Date(Date.now() + 2 * 24 * 3600_000);
    const to = new Date(from.getTime() + 13 * 24 * 3600_000);
    const slots = await anonymous.send('/api/v1/public/timeslots', {
      query: { instrument: ids.piano, from: day(from), to: day(to), minutes: 30 },
    });
    const slot = slots.slots.find((s) => s.teacher === ids.teacherX);
    assert.ok(slot, `no slot with the piano teacher in ${JSON.stringify(slots)}`);
    assert.equal(new Date(slot.start).getUTCDay(), MONDAY);

    // 2. The enrollment; a new parent waits for the e-mail confirmation.
    const started = await anonymous.send('/api/v1/public/enrollments', {
      method: 'POST',
      query: { wait: 0 },
      body: {
        parent: { name: 'Nora New', email, phone: '+1 604 555 0199', password },
        student: { first_name: 'Nico', last_name: 'New', birth_date: '2017-05-01', instrument: ids.piano, level: 'beginner' },
        plan: ids.planPublic,
        trial: { teacher: slot.teacher, start: slot.start },
      },
    });
    assert.ok(started.run, `no run in ${JSON.stringify(started)}`);
    assert.equal(JSON.stringify(started).includes(email), false, 'the public answer carries no account data');

    // 3. The parent signs in with the password it chose and follows the run.
    family = server.client();
    await family.collection('users').authWithPassword(email, password);
    assert.equal(family.authStore.record.verified, false);
    const seen = [];
    await family.collection('workflow_runs').subscribe(started.run, (e) => seen.push(e.record.status));
    const waitForStatus = async (status, ms = 15_000) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        if (seen.includes(status)) return true;
        await settle(25);
      }
      return false;
    };
    // The run parks before or after the subscription: read it once too.
    let run = await family.collection('workflow_runs').getOne(started.run);
    if (run.status !== 'waiting') {
      assert.ok(await waitForStatus('waiting'), `run never waited: ${JSON.stringify(seen)} (was ${run.status})`);
      run = await family.collection('workflow_runs').getOne(started.run);
    }
    assert.equal(run.status, 'waiting');
    assert.match(run.wait_key, /^user_verified:/);

    // 4. The confirmation mail, delivered over SMTP; the token in its link.
    const verify = await mail.waitForMessage((m) => m.To?.some((t) => t.Address === email) && /verif|confirm/i.test(m.Subject));
    const token = (verify.Text + verify.HTML).match(/confirm-verification\/([A-Za-z0-9._-]+)/)?.[1];
    assert.ok(token, `no verification link in\n${verify.Text}`);
    assert.equal(await family.collection('users').confirmVerification(token), true);

    // 5. Realtime reports the run completed.
    assert.ok(await waitForStatus('completed'), `statuses seen over realtime: ${JSON.stringify(seen)}`);
    run = await family.collection('workflow_runs').getOne(started.run);
    assert.equal(run.status, 'completed');
    assert.ok(run.result.enrollment, `result ${JSON.stringify(run.result)}`);

    // 6. What the family sees now: the enrollment active, the trial lesson its own.
    const enrollment = await family.collection('enrollments').getOne(run.result.enrollment);
    assert.equal(enrollment.status, 'active');
    assert.equal(enrollment.teacher, ids.teacherX);
    const lessons = await family.collection('lessons').getFullList({ filter: 'kind = "trial"' });
    assert.equal(lessons.length, 1);
    assert.equal(lessons[0].id, enrollment.trial_lesson);
    assert.equal(new Date(lessons[0].start.replace(' ', 'T')).toISOString(), new Date(slot.start).toISOString());
    assert.equal(lessons[0].status, 'scheduled');

    // 7. The welcome mail, with the trial as a calendar invite.
    const welcome = await mail.waitForMessage((m) => m.To?.some((t) => t.Address === email) && m.Subject.startsWith('Welcome!'));
    assert.match(welcome.Subject, /Nico's trial Piano lesson/);
    assert.ok(welcome.Attachments?.some((a) => a.FileName.endsWith('.ics')), `attachments ${JSON.stringify(welcome.Attachments)}`);
    const welcomes = (await mail.messages()).filter((m) => m.Subject.startsWith('Welcome!'));
    assert.equal(welcomes.length, 1, 'one welcome for the family');
  });
});
