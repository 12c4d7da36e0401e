// The seed's /api/v1 and /auth routes through the SDK's pb.send, as a
// client written against the seed's API documentation would call them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ClientResponseError } from 'pocketbase';

import { idsOf, startAcademy } from './academy.js';
import { PASSWORD } from './server.js';

const rejectsWith = (promise, status) =>
  assert.rejects(promise, (err) => err instanceof ClientResponseError && err.status === status);

describe('/api/v1 and /auth through pb.send', () => {
  let server;
  let ids;
  let as;
  before(async () => {
    ({ server, ids, as } = await startAcademy());
  });
  after(async () => {
    await server?.stop();
  });

  it('logs in, reads /auth/me and refreshes', async () => {
    const pb = server.client();
    const login = await pb.send('/auth/login', {
      method: 'POST',
      body: { email: 'parent.a@academy.test', password: PASSWORD },
    });
    assert.ok(login.token);
    assert.equal(login.record.id, ids.parentA);
    assert.equal(login.record.role, 'parent');

    pb.authStore.save(login.token, login.record);
    const me = await pb.send('/auth/me', {});
    assert.equal(me.id, ids.parentA);

    const refreshed = await pb.send('/auth/refresh', { method: 'POST' });
    assert.ok(refreshed.token);
    assert.equal(refreshed.record.id, ids.parentA);

    await rejectsWith(
      server.client().send('/auth/login', { method: 'POST', body: { email: 'parent.a@academy.test', password: 'wrong-password' } }),
      400,
    );
    await rejectsWith(server.client().send('/auth/me', {}), 401);
  });

  it('lists students by role, with filters that only narrow', async () => {
    const listOf = async (pb, query = {}) => idsOf((await pb.send('/api/v1/students', { query })).items);
    assert.deepEqual(await listOf(as.parentA), [ids.studentA1, ids.studentA2].sort());
    assert.deepEqual(await listOf(as.parentB), [ids.studentB1]);
    assert.deepEqual(await listOf(as.teacherX), [ids.studentA1]);
    assert.deepEqual(await listOf(as.admin), [ids.studentA1, ids.studentA2, ids.studentB1].sort());
    assert.deepEqual(
      await listOf(as.admin, { include_deleted: '1' }),
      [ids.studentA1, ids.studentA2, ids.studentADeleted, ids.studentB1].sort(),
    );
    assert.deepEqual(await listOf(as.parentA, { parent: ids.parentB }), []);
    assert.deepEqual(await listOf(as.parentA, { include_deleted: '1' }), [ids.studentA1, ids.studentA2].sort());
    await rejectsWith(as.anonymous.send('/api/v1/students', {}), 401);

    const err = await as.parentA.send('/api/v1/students', { query: { status: 'sleeping' } }).catch((e) => e);
    assert.equal(err.status, 400);
    assert.ok(err.response.data.status, 'the error names the status parameter');
  });

  it('creates, reads, updates and soft deletes a student as its parent', async () => {
    const created = await as.parentA.send('/api/v1/students', {
      method: 'POST',
      body: { parent: ids.parentA, first_name: 'Nia', last_name: 'Anders', status: 'prospect' },
    });
    assert.equal(created.parent, ids.parentA);
    assert.equal(created.first_name, 'Nia');

    const got = await as.parentA.send(`/api/v1/students/${created.id}`, {});
    assert.equal(got.id, created.id);
    await rejectsWith(as.parentB.send(`/api/v1/students/${created.id}`, {}), 404);

    const updated = await as.parentA.send(`/api/v1/students/${created.id}`, {
      method: 'PUT',
      body: { notes: 'Prefers mornings' },
    });
    assert.equal(updated.notes, 'Prefers mornings');
    assert.equal(updated.first_name, 'Nia', 'fields left out keep their values');
    await rejectsWith(
      as.parentA.send(`/api/v1/students/${created.id}`, { method: 'PUT', body: { status: 'active' } }),
      403,
    );

    await as.parentA.send(`/api/v1/students/${created.id}`, { method: 'DELETE' });
    await rejectsWith(as.parentA.send(`/api/v1/students/${created.id}`, {}), 404);
    const stored = await as.superuser.collection('students').getOne(created.id);
    assert.ok(stored.deleted, 'DELETE is a soft delete');

    const restored = await as.admin.send(`/api/v1/students/${created.id}/restore`, { method: 'POST' });
    assert.equal(restored.deleted, '');
    assert.equal((await as.parentA.send(`/api/v1/students/${created.id}`, {})).id, created.id);
  });

  it("refuses a parent writing for another family and names the bad field", async () => {
    await rejectsWith(
      as.parentA.send('/api/v1/students', {
        method: 'POST',
        body: { parent: ids.parentB, first_name: 'Nia', last_name: 'Brown', status: 'prospect' },
      }),
      403,
    );
    const err = await as.parentA
      .send('/api/v1/students', { method: 'POST', body: { parent: ids.parentA, last_name: 'Anders' } })
      .catch((e) => e);
    assert.ok(err instanceof ClientResponseError);
    assert.equal(err.status, 400);
    assert.ok(err.response.data.first_name, 'the error names first_name');
  });

  it('replaces a teacher’s week as that teacher, never another’s', async () => {
    const body = { windows: [{ weekday: 2, start_time: '09:00', end_time: '12:00' }, { weekday: 4, start_time: '14:00', end_time: '18:00' }] };
    const res = await as.teacherX.send(`/api/v1/teachers/${ids.teacherX}/availability`, { method: 'PUT', body });
    assert.equal(res.windows.length, 2);
    const stored = await as.teacherX.collection('availability').getFullList({ filter: `teacher="${ids.teacherX}"`, sort: 'weekday' });
    assert.deepEqual(stored.map((w) => `${w.weekday} ${w.start_time}-${w.end_time}`), ['2 09:00-12:00', '4 14:00-18:00']);

    await rejectsWith(as.teacherX.send(`/api/v1/teachers/${ids.teacherY}/availability`, { method: 'PUT', body }), 403);
    const overlap = { windows: [{ weekday: 1, start_time: '09:00', end_time: '12:00' }, { weekday: 1, start_time: '11:00', end_time: '13:00' }] };
    await rejectsWith(as.teacherX.send(`/api/v1/teachers/${ids.teacherX}/availability`, { method: 'PUT', body: overlap }), 400);
  });

  it('lists teachers, with their windows on request, for signed-in callers', async () => {
    const res = await as.parentA.send('/api/v1/teachers', { query: { availability: 1 } });
    const x = res.items.find((t) => t.id === ids.teacherX);
    assert.ok(x, 'teacher X is listed');
    assert.ok(Array.isArray(x.expand?.availability_via_teacher), 'windows come along when asked for');
    const plain = await as.parentA.send('/api/v1/teachers', {});
    assert.ok(!plain.items.some((t) => t.expand?.availability_via_teacher), 'and only then');
    await rejectsWith(as.anonymous.send('/api/v1/teachers', {}), 401);
  });

  it('serves the public catalogue to anyone', async () => {
    const teachers = await as.anonymous.send('/api/v1/public/teachers', {});
    assert.deepEqual(idsOf(teachers.items), [ids.teacherX, ids.teacherY].sort());
    assert.ok(!('user' in teachers.items[0]), 'no account ids in the public catalogue');

    const pricing = await as.anonymous.send('/api/v1/public/pricing', {});
    assert.deepEqual(idsOf(pricing.items), [ids.planPublic]);
    assert.equal(pricing.items[0].amount, 14000);
  });
});
