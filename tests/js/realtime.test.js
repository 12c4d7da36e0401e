// Realtime through the SDK: a family hears about its own lessons and never
// about another family's.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { MONDAY, WEDNESDAY, slot, startAcademy } from './academy.js';

const settle = (ms) => new Promise((r) => setTimeout(r, ms));

// waitFor polls until pred() holds or the time is up.
async function waitFor(pred, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!pred() && Date.now() < deadline) await settle(25);
  return pred();
}

describe('realtime on lessons', () => {
  let server;
  let ids;
  let as;
  before(async () => {
    ({ server, ids, as } = await startAcademy());
  });
  after(async () => {
    await as?.parentA.realtime.unsubscribe();
    await as?.parentB.realtime.unsubscribe();
    await server?.stop();
  });

  it("parent A receives its family's lesson events and none of B's", async () => {
    const seenA = [];
    const seenB = [];
    await as.parentA.collection('lessons').subscribe('*', (e) => seenA.push(e));
    await as.parentB.collection('lessons').subscribe('*', (e) => seenB.push(e));

    const lesson = (teacher, student, instrument, when) => ({
      teacher, student, instrument, ...when, kind: 'regular', status: 'scheduled',
    });
    const forA = await as.admin.collection('lessons').create(lesson(ids.teacherX, ids.studentA2, ids.piano, slot(MONDAY, 16, 1)));
    const forB = await as.superuser.collection('lessons').create(lesson(ids.teacherY, ids.studentB1, ids.violin, slot(WEDNESDAY, 11, 1)));
    await as.admin.collection('lessons').update(forA.id, { teacher_notes: 'Bring the new book' });
    await as.admin.collection('lessons').update(forB.id, { teacher_notes: 'Rosin the bow' });
    // A1 lies ahead: its teacher writes notes (attendance waits for the start).
    await as.teacherX.collection('lessons').update(ids.lessonA1, { teacher_notes: 'Scales first' });

    assert.ok(await waitFor(() => seenA.length >= 3 && seenB.length >= 2), `A saw ${seenA.length}, B saw ${seenB.length}`);
    await settle(300); // anything that should not arrive has had its chance

    const summary = (events) => events.map((e) => `${e.action}:${e.record.id}`);
    assert.deepEqual(summary(seenA), [`create:${forA.id}`, `update:${forA.id}`, `update:${ids.lessonA1}`]);
    assert.deepEqual(summary(seenB), [`create:${forB.id}`, `update:${forB.id}`]);
    assert.equal(seenA.find((e) => e.record.id === forA.id && e.action === 'update').record.teacher_notes, 'Bring the new book');
    assert.ok(!JSON.stringify(seenA).includes('Rosin'), "A's events carry nothing of B's");
  });
});
