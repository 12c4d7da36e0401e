// Role-scoped lists through the SDK: each client sees what its role allows.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { idsOf, startAcademy } from './academy.js';

describe('role-scoped lists', () => {
  let server;
  let ids;
  let as;
  before(async () => {
    ({ server, ids, as } = await startAcademy());
  });
  after(async () => {
    await server?.stop();
  });

  it('parent A lists its own live students only', async () => {
    const got = await as.parentA.collection('students').getFullList();
    assert.deepEqual(idsOf(got), [ids.studentA1, ids.studentA2].sort());
  });

  it('parent B lists its own students only', async () => {
    const got = await as.parentB.collection('students').getFullList();
    assert.deepEqual(idsOf(got), [ids.studentB1]);
  });

  it("parent A cannot reach B's students by filter or by id", async () => {
    const byFilter = await as.parentA.collection('students').getFullList({ filter: `parent="${ids.parentB}"` });
    assert.deepEqual(byFilter, []);
    await assert.rejects(as.parentA.collection('students').getOne(ids.studentB1), (err) => err.status === 404);
  });

  it('a teacher lists the students it teaches', async () => {
    const got = await as.teacherX.collection('students').getFullList();
    assert.deepEqual(idsOf(got), [ids.studentA1]);
  });

  it('an admin lists every student, soft-deleted ones too', async () => {
    const got = await as.admin.collection('students').getFullList();
    assert.deepEqual(idsOf(got), [ids.studentA1, ids.studentA2, ids.studentADeleted, ids.studentB1].sort());
  });

  it('each family lists its own lessons', async () => {
    assert.deepEqual(idsOf(await as.parentA.collection('lessons').getFullList()), [ids.lessonA1]);
    assert.deepEqual(idsOf(await as.parentB.collection('lessons').getFullList()), [ids.lessonB1]);
  });

  it('anonymous sees public teachers, active instruments and public plans only', async () => {
    const teachers = await as.anonymous.collection('teachers').getFullList();
    assert.deepEqual(idsOf(teachers), [ids.teacherX, ids.teacherY].sort());
    const instruments = await as.anonymous.collection('instruments').getFullList();
    assert.deepEqual(idsOf(instruments), [ids.piano, ids.violin].sort());
    const plans = await as.anonymous.collection('pricing_plans').getFullList();
    assert.deepEqual(idsOf(plans), [ids.planPublic]);
    assert.deepEqual(await as.anonymous.collection('students').getFullList(), []);
  });

  it('a teacher cannot change another teacher’s availability', async () => {
    const theirs = await as.teacherY.collection('availability').create({
      teacher: ids.teacherY, weekday: 4, start_time: '09:00', end_time: '12:00',
    });
    await assert.rejects(
      as.teacherX.collection('availability').update(theirs.id, { end_time: '13:00' }),
      (err) => err.status === 404,
    );
    const unchanged = await as.teacherY.collection('availability').getOne(theirs.id);
    assert.equal(unchanged.end_time, '12:00');
  });
});
