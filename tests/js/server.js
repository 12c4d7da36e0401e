// Starts the built binary (CEDARHEIGHTS_BIN) on a free loopback port with a
// fresh data dir, as a real deployment would run it, and stops it after.
// Nothing is built here: `make test-js` builds bin/cedarheights first.
import { spawn, execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { EventSource } from 'eventsource';
import PocketBase from 'pocketbase';

// Node 20 has fetch but no EventSource; the SDK's realtime needs one.
globalThis.EventSource = EventSource;

const run = promisify(execFile);

export const SUPERUSER = { email: 'owner@test.local', password: 'owner-password-1234' };
export const PASSWORD = 'family-password-123';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url, child, output, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`server exited with ${child.exitCode}:\n${output.join('')}`);
    }
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server not healthy after ${timeoutMs} ms:\n${output.join('')}`);
}

/**
 * startServer creates the superuser (which also applies the migrations),
 * serves, waits for /api/health and returns { url, client, stop }.
 * extraEnv adds variables (e.g. SMTP_HOST and SMTP_PORT of a mailpit).
 */
export async function startServer({ extraEnv = {} } = {}) {
  const bin = process.env.CEDARHEIGHTS_BIN;
  if (!bin) throw new Error('CEDARHEIGHTS_BIN is not set (run through `make test-js`)');

  const dir = await mkdtemp(join(tmpdir(), 'cedarheights-js-'));
  // The limiter would throttle a suite's logins; the zone pins lesson slots.
  // ACADEMY_OPENAPI_VALIDATE: the server checks every /api/v1 and /auth
  // request and answer against its OpenAPI description; stop() fails on a
  // violation.
  const env = { ...process.env, ACADEMY_RATE_LIMIT: 'off', ACADEMY_TZ: 'UTC', ACADEMY_OPENAPI_VALIDATE: '1', ...extraEnv };
  await run(bin, ['superuser', 'upsert', SUPERUSER.email, SUPERUSER.password, '--dir', dir], { env });

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output = [];
  const child = spawn(bin, ['serve', '--http', `127.0.0.1:${port}`, '--dir', dir], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never outlive the test process, even when a suite crashes before after().
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  child.stdout.on('data', (d) => output.push(d.toString()));
  child.stderr.on('data', (d) => output.push(d.toString()));

  try {
    await waitForHealth(url, child, output);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    url,
    /** client returns a fresh SDK client (one per user). */
    client() {
      const pb = new PocketBase(url);
      pb.autoCancellation(false);
      return pb;
    },
    /** superuser returns a client signed in as the superuser. */
    async superuser() {
      const pb = this.client();
      await pb.collection('_superusers').authWithPassword(SUPERUSER.email, SUPERUSER.password);
      return pb;
    },
    output,
    async stop() {
      process.off('exit', killOnExit);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
      const log = output.join('');
      const summary = log.match(/^apispec: .*$/m);
      if (summary && process.env.APISPEC_REPORT) process.stderr.write(`${summary[0]}\n`);
      const violations = log.split('\n').filter((l) => l.startsWith('apispec violation:'));
      if (violations.length) {
        throw new Error(`the server's answers left its OpenAPI description (apispec/openapi.yaml):\n${violations.join('\n')}`);
      }
    },
  };
}
