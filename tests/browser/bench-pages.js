// bench-pages: each page's first load in headless Chromium on the demo data
// (`demo --size bench` unless -quick): the bytes of its HTML, scripts and
// styles, raw and gzipped, against the 150 KB budget; the time to the first
// contentful paint; and the time until the page shows what it is for (the
// prices, the family's balance, the teacher's week). Not a test: nothing
// fails on a time. Run by `make bench` (CEDARHEIGHTS_BIN set).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

import { startServer, launchBrowser, openPage, pageWeight } from './harness.js';

const run = promisify(execFile);
const quick = process.argv.includes('-quick');
const DEMO_PASSWORD = 'cedar-demo-2026';
const BUDGET = 150 * 1024;
const RUNS = quick ? 3 : 7;

const server = await startServer({ beforeServe: async (bin, dir, env) => {
  const t0 = Date.now();
  await run(bin, ['demo', '--dir', dir, ...(quick ? [] : ['--size', 'bench'])], { env, maxBuffer: 1 << 24 });
  console.log(`bench/pages: demo data ${quick ? '(default size)' : '(--size bench)'} loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
} });
const browser = await launchBrowser();

async function token(email) {
  const pb = server.client();
  await pb.collection('users').authWithPassword(email, DEMO_PASSWORD);
  return { token: pb.authStore.token, record: pb.authStore.record };
}

const pages = [
  ['/', null, '#plan-list .card'],
  ['/account/', 'parent0001@demo.cedarheights.test', '#money .price'],
  ['/account/billing/', 'parent0001@demo.cedarheights.test', '#balance:not(:empty)'],
  ['/teacher/', 'teacher01@demo.cedarheights.test', 'ul.week'],
];

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const [path, who, ready] of pages) {
  const w = await pageWeight(browser, `${server.url}${path}`);
  const auth = who ? await token(who) : null;
  const fcp = [];
  const useful = [];
  for (let i = 0; i < RUNS; i++) {
    const { context, page } = await openPage(browser);
    // Signed in as the SDK keeps it (localStorage), before the page runs.
    if (auth) await context.addInitScript((a) => localStorage.setItem('pocketbase_auth', JSON.stringify(a)), auth);
    const t0 = Date.now();
    await page.goto(`${server.url}${path}`, { waitUntil: 'commit' });
    await page.locator(ready).first().waitFor({ timeout: 30_000 });
    useful.push(Date.now() - t0);
    fcp.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN));
    await context.close();
  }
  rows.push({ path, who: who ? who.split('@')[0] : 'anonymous', raw: w.raw, gz: w.gz, fcp: median(fcp), useful: median(useful) });
}

console.log(`\nbench/pages: first load of each page, headless Chromium, median of ${RUNS} loads (budget ${BUDGET / 1024} KB gzipped)`);
console.log('page                 as               raw bytes   gzipped   budget  first paint  useful');
for (const r of rows) {
  console.log(`${r.path.padEnd(20)} ${r.who.padEnd(15)} ${String(r.raw).padStart(10)} ${String(r.gz).padStart(9)}   ${r.gz <= BUDGET ? '  ok ' : 'OVER '}  ${`${Math.round(r.fcp)} ms`.padStart(10)}  ${`${r.useful} ms`.padStart(7)}`);
}
await browser.close();
await server.stop();
