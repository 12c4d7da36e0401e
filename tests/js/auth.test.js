// Sign-up and login through the SDK, as a family's browser would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ClientResponseError } from 'pocketbase';

import { startServer } from './server.js';

describe('sign-up and login', () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  const family = (email, extra = {}) => ({
    email,
    password: 'a-family-password',
    passwordConfirm: 'a-family-password',
    name: 'New Family',
    ...extra,
  });

  it('signs a family up as a parent and logs it in', async () => {
    const pb = server.client();
    const created = await pb.collection('users').create(family('new.family@test.local'));
    assert.equal(created.role, 'parent');

    const auth = await pb.collection('users').authWithPassword('new.family@test.local', 'a-family-password');
    assert.ok(auth.token);
    assert.equal(pb.authStore.record.id, created.id);
    assert.equal(pb.authStore.record.role, 'parent');

    const me = await pb.collection('users').getOne(created.id);
    assert.equal(me.email, 'new.family@test.local');
  });

  for (const role of ['admin', 'teacher']) {
    it(`refuses a sign-up that asks for role ${role}`, async () => {
      const pb = server.client();
      await assert.rejects(
        pb.collection('users').create(family(`want.${role}@test.local`, { role })),
        (err) => err instanceof ClientResponseError && err.status === 400,
      );
      const su = await server.superuser();
      const found = await su.collection('users').getList(1, 1, { filter: `email="want.${role}@test.local"` });
      assert.equal(found.totalItems, 0);
    });
  }

  it('refuses a parent promoting itself', async () => {
    const pb = server.client();
    const created = await pb.collection('users').create(family('climber@test.local'));
    await pb.collection('users').authWithPassword('climber@test.local', 'a-family-password');
    await assert.rejects(
      pb.collection('users').update(created.id, { role: 'admin' }),
      (err) => err instanceof ClientResponseError && err.status === 404,
    );
    const again = await pb.collection('users').getOne(created.id);
    assert.equal(again.role, 'parent');
  });

  it('refuses a wrong password', async () => {
    const pb = server.client();
    await pb.collection('users').create(family('forgetful@test.local'));
    await assert.rejects(
      pb.collection('users').authWithPassword('forgetful@test.local', 'not-the-password'),
      (err) => err instanceof ClientResponseError && err.status === 400,
    );
    assert.equal(pb.authStore.isValid, false);
  });
});
