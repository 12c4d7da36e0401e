// Starts mailpit (a real SMTP server with an HTTP API, the one the Go mail
// tests use) on free loopback ports for a suite, and reads the mail back.
// The binary comes from PATH or Go's bin folder (`make mailpit` installs
// it); without it the suite is skipped, unless MAILPIT_REQUIRED is set.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

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

/** findMailpit returns the binary's path, or '' when it is not installed. */
export function findMailpit() {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'mailpit'))) return join(dir, 'mailpit');
  }
  try {
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
    if (existsSync(join(gopath, 'bin', 'mailpit'))) return join(gopath, 'bin', 'mailpit');
  } catch {
    // no Go toolchain
  }
  return '';
}

/**
 * startMailpit runs mailpit with the flags internal/mailpit uses and
 * returns { smtpHost, smtpPort, url, messages, message, waitForMessage, stop }.
 */
export async function startMailpit(bin) {
  const [smtpPort, httpPort] = [await freePort(), await freePort()];
  const dir = await mkdtemp(join(tmpdir(), 'cedarheights-mailpit-'));
  const output = [];
  const child = spawn(bin, [
    '--smtp', `127.0.0.1:${smtpPort}`,
    '--listen', `127.0.0.1:${httpPort}`,
    '--database', join(dir, 'mailpit.db'),
    '--disable-version-check',
    '--smtp-disable-rdns',
    '--max', '0',
    '--quiet',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d) => output.push(d.toString()));
  child.stderr.on('data', (d) => output.push(d.toString()));
  const killOnExit = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);
  const url = `http://127.0.0.1:${httpPort}`;

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mailpit exited with ${child.exitCode}:\n${output.join('')}`);
    try {
      if ((await fetch(`${url}/api/v1/messages`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`mailpit not ready:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }

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
      process.off('exit', killOnExit);
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}
