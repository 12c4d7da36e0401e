// The processes the JS and browser suites start, shared by both (each is
// its own npm package; this file needs nothing but Node's built-ins):
// the built academy binary on a fresh data dir, and mailpit.
import { spawn, execFile, execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SUPERUSER = { email: 'owner@test.local', password: 'owner-password-1234' };

export function freePort() {
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

/** findBinary returns a program from PATH or Go's bin folder, or ''. */
export function findBinary(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  try {
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
    if (existsSync(join(gopath, 'bin', name))) return join(gopath, 'bin', name);
  } catch {
    // no Go toolchain
  }
  return '';
}

/** waitReady polls url until it answers 2xx, failing early when child exits. */
async function waitReady(url, child, output, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${output.join('')}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not up after ${timeoutMs} ms:\n${output.join('')}`);
}

/** spawnLogged starts a child that never outlives the test process. */
function spawnLogged(bin, args, env, cleanup) {
  const output = [];
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => output.push(d.toString()));
  child.stderr.on('data', (d) => output.push(d.toString()));
  const killOnExit = () => {
    child.kill('SIGKILL');
    cleanup();
  };
  process.once('exit', killOnExit);
  const stop = async (graceMs = 5_000) => {
    process.off('exit', killOnExit);
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
  };
  return { child, output, stop };
}

/**
 * startAcademy creates the superuser in a fresh data dir (or copies
 * make test's migrated one), lets beforeServe(bin, dir, env) load data, serves the
 * built binary (CEDARHEIGHTS_BIN) on a free port and waits for
 * /api/health. env adds variables. The server checks every /api/v1 and
 * /auth exchange against its OpenAPI description
 * (ACADEMY_OPENAPI_VALIDATE); stop() fails on a violation.
 * Returns { url, output, stop }.
 */
export async function startAcademy({ env: extra = {}, beforeServe } = {}) {
  const bin = process.env.CEDARHEIGHTS_BIN;
  if (!bin) throw new Error('CEDARHEIGHTS_BIN is not set (run through make)');
  const dir = await mkdtemp(join(tmpdir(), 'cedarheights-js-'));
  // The limiter would throttle a suite's logins; the zone pins lesson slots.
  const env = { ...process.env, ACADEMY_RATE_LIMIT: 'off', ACADEMY_TZ: 'UTC', ACADEMY_OPENAPI_VALIDATE: '1', ...extra };
  // make test gives a data dir it migrated once with this superuser and
  // zone (CEDARHEIGHTS_DATA_TEMPLATE): a copy serves at once, where a fresh
  // dir runs every migration on the server's first start (~0.6 s of CPU).
  const template = process.env.CEDARHEIGHTS_DATA_TEMPLATE;
  if (template && env.ACADEMY_TZ === 'UTC') {
    await cp(template, dir, { recursive: true });
  } else {
    await run(bin, ['superuser', 'upsert', SUPERUSER.email, SUPERUSER.password, '--dir', dir], { env });
  }
  if (beforeServe) await beforeServe(bin, dir, env);

  // The port is free when chosen, but another process (a suite running
  // beside this one) may bind it before the server does: then the server
  // exits at once and is started again on another port.
  let url;
  let proc;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    proc = spawnLogged(bin, ['serve', '--http', `127.0.0.1:${port}`, '--dir', dir], env,
      () => rmSync(dir, { recursive: true, force: true }));
    try {
      await waitReady(`${url}/api/health`, proc.child, proc.output);
      break;
    } catch (err) {
      proc.child.kill('SIGKILL');
      await proc.stop();
      if (attempt < 3 && /address already in use/.test(proc.output.join(''))) continue;
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }
  try {
    await cheapPasswords(url);
  } catch (err) {
    await proc.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    output: proc.output,
    async stop() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
      const log = proc.output.join('');
      const summary = log.match(/^apispec: .*$/m);
      if (summary && process.env.APISPEC_REPORT) process.stderr.write(`${summary[0]}\n`);
      const violations = log.split('\n').filter((l) => l.startsWith('apispec violation:'));
      if (violations.length) {
        throw new Error(`the server's answers left its OpenAPI description (apispec/openapi.yaml):\n${violations.join('\n')}`);
      }
    },
  };
}

/**
 * cheapPasswords sets the users' password field to bcrypt's lowest cost, as
 * the owner can in the admin UI; the binary reads it from the data dir. The
 * suites create and sign in accounts on every server (two hashes per
 * create, one per sign-in, ~55 ms of CPU each at PocketBase's default cost:
 * about half of the JS suite's CPU), and the same hashing and comparing runs
 * at any cost. Production keeps the default (no migration sets a cost:
 * TestCheapPasswordsAreTheTemplatesOnly).
 */
async function cheapPasswords(url) {
  const call = async (path, init = {}) => {
    const res = await fetch(`${url}${path}`, { ...init, headers: { 'Content-Type': 'application/json', ...init.headers } });
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const { token } = await call('/api/collections/_superusers/auth-with-password', {
    method: 'POST', body: JSON.stringify({ identity: SUPERUSER.email, password: SUPERUSER.password }),
  });
  const auth = { Authorization: token };
  const users = await call('/api/collections/users', { headers: auth });
  const password = users.fields.find((f) => f.name === 'password');
  if (!password) throw new Error('the users collection has no password field');
  password.cost = 4; // bcrypt.MinCost
  await call('/api/collections/users', { method: 'PATCH', headers: auth, body: JSON.stringify({ fields: users.fields }) });
}

/**
 * startMailpit runs mailpit (bin) with the flags internal/mailpit uses and
 * returns { smtpHost, smtpPort, url, messages, message, waitForMessage, stop }.
 */
export async function startMailpit(bin) {
  const [smtpPort, httpPort] = [await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'cedarheights-mailpit-'));
  const proc = spawnLogged(bin, [
    '--smtp', `127.0.0.1:${smtpPort}`,
    '--listen', `127.0.0.1:${httpPort}`,
    '--database', join(dir, 'mailpit.db'),
    '--disable-version-check',
    '--smtp-disable-rdns',
    '--max', '0',
    '--quiet',
  ], process.env, () => rmSync(dir, { recursive: true, force: true }));
  const url = `http://127.0.0.1:${httpPort}`;
  await waitReady(`${url}/api/v1/messages`, proc.child, proc.output, 20_000);

  const getJSON = async (path) => {
    const res = await fetch(`${url}${path}`);
    if (!res.ok) throw new Error(`mailpit ${path}: ${res.status}`);
    return res.json();
  };
  const api = {
    smtpHost: '127.0.0.1',
    smtpPort,
    url,
    /** messages lists the summaries (newest first). */
    async messages() {
      return (await getJSON('/api/v1/messages?limit=500')).messages ?? [];
    },
    /** message is one message with its Text, HTML and Attachments. */
    message: (id) => getJSON(`/api/v1/message/${id}`),
    /** waitForMessage polls until a message matches pred (a summary) and returns it in full. */
    async waitForMessage(pred, ms = 15_000) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const found = (await api.messages()).find(pred);
        if (found) return api.message(found.ID);
        await new Promise((r) => setTimeout(r, 100));
      }
      const subjects = (await api.messages()).map((m) => `${m.To?.map((t) => t.Address).join(',')}: ${m.Subject}`);
      throw new Error(`no matching mail after ${ms} ms; mailpit holds:\n${subjects.join('\n')}`);
    },
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}
