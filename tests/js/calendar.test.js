// The scheduling routes as a family's and the office's frontends use them:
// each family sees only its own calendar and can neither book nor cancel
// for another family; the office's double booking is refused with reasons
// and alternatives; public trial slots reveal nothing private.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ClientResponseError } from 'pocketbase';

import { MONDAY, WEDNESDAY, idsOf, slot, startAcademy } from './academy.js';

const rejectsWith = (promise, status, check = () => true) =>
  assert.rejects(promise, (err) => err instanceof ClientResponseError && err.status === status && check(err));

const dateOf = (pbDate) => pbDate.slice(0, 10);

describe('calendar through the SDK', () => {
  let server;
  let ids;
  let as;
  before(async () => {
    ({ server, ids, as } = await startAcademy());
  });
  after(async () => {
    await server?.stop();
  });

  it("shows a parent its family's calendar only", async () => {
    const weekOf = (lesson) => dateOf(slot(...lesson).start);
    const view = async (pb, lesson) => {
      const res = await pb.send('/api/v1/lessons/schedule/view', { query: { view: 'week', date: weekOf(lesson) } });
      assert.equal(res.days.length, 7);
      return idsOf(res.days.flatMap((d) => d.lessons));
    };
    const a1 = [MONDAY, 16];
    const b1 = [WEDNESDAY, 11];
    // Depending on today's weekday both lessons fall in one week or in two,
    // so a family's view of the other's week may hold its own lesson; it
    // never holds the other family's.
    const besides = (own) => (got) => got.filter((id) => id !== own);
    assert.deepEqual(await view(as.parentA, a1), [ids.lessonA1]);
    assert.deepEqual(besides(ids.lessonB1)(await view(as.parentB, a1)), []);
    assert.deepEqual(await view(as.parentB, b1), [ids.lessonB1]);
    assert.deepEqual(besides(ids.lessonA1)(await view(as.parentA, b1)), []);
    assert.ok((await view(as.admin, a1)).includes(ids.lessonA1));
    assert.ok((await view(as.admin, b1)).includes(ids.lessonB1));

    const list = await as.parentA.send('/api/v1/lessons', { query: { student: ids.studentB1 } });
    assert.deepEqual(list.items, []);
    // the record API agrees with the route
    assert.deepEqual(idsOf(await as.parentA.collection('lessons').getFullList()), [ids.lessonA1]);
    await rejectsWith(as.parentA.collection('lessons').getOne(ids.lessonB1), 404);
  });

  it('lets no parent book a regular lesson, for another family least of all', async () => {
    const body = { teacher: ids.teacherX, student: ids.studentB1, instrument: ids.piano, start: slot(MONDAY, 17).start, minutes: 30 };
    // another family's student is unknown to parent A
    await rejectsWith(as.parentA.send('/api/v1/lessons', { method: 'POST', body }), 400, (e) => Boolean(e.response.data.student));
    await rejectsWith(
      as.parentA.collection('lessons').create({ ...body, ...slot(MONDAY, 17), kind: 'regular', status: 'scheduled' }),
      400,
    );
    // even for its own child, a regular lesson is the office's (a family
    // books make-ups only, below)
    await rejectsWith(as.parentB.send('/api/v1/lessons', { method: 'POST', body }), 403);
    const admin = await as.admin.collection('lessons').getFullList();
    assert.equal(admin.length, 2);
  });

  it('refuses a double booking with the reason and ranked alternatives', async () => {
    const body = { teacher: ids.teacherX, student: ids.studentA2, instrument: ids.piano, start: slot(MONDAY, 16).start, minutes: 30 };
    const check = await as.admin.send('/api/v1/lessons/check-conflicts', { method: 'POST', body });
    assert.equal(check.ok, false);
    assert.equal(check.conflicts[0].reason, 'teacher_busy');
    assert.equal(check.conflicts[0].lesson_id, ids.lessonA1);
    assert.ok(check.alternatives.length > 0);
    assert.equal(check.alternatives[0].teacher, ids.teacherX);

    await rejectsWith(as.admin.send('/api/v1/lessons', { method: 'POST', body }), 409, (e) =>
      e.response.data.teacher.code === 'teacher_busy' && e.response.alternatives.length > 0);
    // the record API refuses it the same way
    await rejectsWith(
      as.admin.collection('lessons').create({ ...body, ...slot(MONDAY, 16), kind: 'regular', status: 'scheduled' }),
      409,
      (e) => e.response.data.teacher.code === 'teacher_busy',
    );
  });

  it('lets a family cancel its own lesson, not another family’s', async () => {
    await rejectsWith(as.parentA.send(`/api/v1/lessons/${ids.lessonB1}/cancel`, { method: 'POST' }), 404);
    const res = await as.parentB.send(`/api/v1/lessons/${ids.lessonB1}/cancel`, { method: 'POST' });
    assert.equal(res.lessons[0].status, 'cancelled');
    assert.equal(res.lessons[0].cancelled_by, 'family');
    assert.match(res.lessons[0].cancellation_note, /^make-up credit/);
    const credits = await as.parentB.collection('makeup_credits').getFullList();
    assert.equal(credits.length, 1);
    assert.deepEqual(await as.parentA.collection('makeup_credits').getFullList(), []);
  });

  it('lets a family book a make-up with its credit and move it with notice', async () => {
    // Parent B holds the credit of the cancellation above.
    const makeup = { teacher: ids.teacherY, student: ids.studentB1, instrument: ids.violin, kind: 'makeup', status: 'scheduled' };
    await rejectsWith(as.parentA.collection('lessons').create({ ...makeup, ...slot(WEDNESDAY, 10, 1) }), 400);
    await rejectsWith(as.parentB.collection('lessons').create({ ...makeup, ...slot(WEDNESDAY, 10, 1), kind: 'trial' }), 400);
    const booked = await as.parentB.collection('lessons').create({ ...makeup, ...slot(WEDNESDAY, 10, 1) });
    const [credit] = await as.parentB.collection('makeup_credits').getFullList();
    assert.equal(credit.used_by, booked.id);
    // the credit is spent: a second make-up is refused on kind
    await rejectsWith(as.parentB.collection('lessons').create({ ...makeup, ...slot(WEDNESDAY, 12, 1) }), 409,
      (e) => e.response.data.kind.code === 'no_makeup_credit');

    // Moved a week ahead, an hour later: the time only, one lesson at a time.
    const moved = await as.parentB.collection('lessons').update(booked.id, slot(WEDNESDAY, 11, 1));
    assert.equal(moved.start, slot(WEDNESDAY, 11, 1).start);
    await rejectsWith(as.parentB.collection('lessons').update(booked.id, { ...slot(WEDNESDAY, 12, 1), room: '' }), 404);
    await rejectsWith(as.parentB.send(`/api/v1/lessons/${booked.id}?scope=following`, { method: 'PATCH', body: { start: slot(WEDNESDAY, 12, 1).start } }), 403);
    const res = await as.parentB.send(`/api/v1/lessons/${booked.id}`, { method: 'PATCH', body: { start: slot(WEDNESDAY, 12, 1).start } });
    assert.equal(res.lessons[0].start, slot(WEDNESDAY, 12, 1).start);
    await rejectsWith(as.parentA.send(`/api/v1/lessons/${booked.id}`, { method: 'PATCH', body: { start: slot(WEDNESDAY, 13, 1).start } }), 404);
  });

  it('offers public trial slots without private data', async () => {
    const day = dateOf(slot(WEDNESDAY, 10).start);
    const res = await as.anonymous.send('/api/v1/public/timeslots', {
      query: { instrument: ids.violin, from: day, to: day, minutes: 30 },
    });
    assert.ok(res.slots.length > 0);
    assert.ok(res.slots.every((s) => s.teacher === ids.teacherY && s.teacher_name === 'Yara Young'));
    const text = JSON.stringify(res);
    for (const secret of [ids.studentB1, ids.lessonB1, ids.parentB]) assert.ok(!text.includes(secret));
    await rejectsWith(as.anonymous.send('/api/v1/public/timeslots', { query: { instrument: ids.violin, from: day, to: '2099-01-01' } }), 400,
      (e) => Boolean(e.response.data.to));
  });
});
