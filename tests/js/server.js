// Starts the built binary (CEDARHEIGHTS_BIN) on a free loopback port with a
// fresh data dir, as a real deployment would run it, and stops it after
// (tests/shared/processes.js). Nothing is built here: `make test-js`
// builds bin/cedarheights first.
import { EventSource } from 'eventsource';
import PocketBase from 'pocketbase';

import { startAcademy, SUPERUSER } from '../shared/processes.js';

export { SUPERUSER };

// Node 20 has fetch but no EventSource; the SDK's realtime needs one.
globalThis.EventSource = EventSource;

export const PASSWORD = 'family-password-123';

/**
 * startServer serves the academy and returns { url, client, superuser,
 * output, stop }. extraEnv adds variables (e.g. SMTP_HOST and SMTP_PORT of
 * a mailpit).
 */
export async function startServer({ extraEnv = {} } = {}) {
  const academy = await startAcademy({ env: extraEnv });
  return {
    ...academy,
    /** client returns a fresh SDK client (one per user). */
    client() {
      const pb = new PocketBase(academy.url);
      pb.autoCancellation(false);
      return pb;
    },
    /** superuser returns a client signed in as the superuser. */
    async superuser() {
      const pb = this.client();
      await pb.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
      return pb;
    },
  };
}
