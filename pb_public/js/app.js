// app.js: what every page shares — the SDK client, the academy's settings,
// a small DOM builder, dates in the academy's zone, money, and API errors
// shown beside the field they name. Pages are plain ES modules: no build.
import PocketBase from '/vendor/pocketbase.es.mjs';

export const pb = new PocketBase('/');
pb.autoCancellation(false);

/** h builds an element: h('p', {class: 'x', onclick}, 'text', child). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

let settingsPromise;
/** academy is the academy's public settings record (name, timezone, notice). */
export function academy() {
  settingsPromise ??= pb.collection('academy').getList(1, 1, { skipTotal: true }).then((r) => r.items[0] || {
    name: 'Cedar Heights Music Academy', timezone: 'UTC', currency: 'cad', cancellation_notice_hours: 24,
  });
  return settingsPromise;
}

/** brand puts the academy's name into the header and the title. */
export async function brand(pageTitle) {
  const a = await academy().catch(() => null);
  if (!a) return null;
  for (const el of $$('[data-academy-name]')) el.textContent = a.name;
  document.title = pageTitle ? `${pageTitle} · ${a.name}` : a.name;
  return a;
}

// ---- dates: instants are UTC; people read them in the academy's zone.

const fmtCache = new Map();
function fmt(zone, opts) {
  const key = zone + JSON.stringify(opts);
  if (!fmtCache.has(key)) fmtCache.set(key, new Intl.DateTimeFormat('en-CA', { timeZone: zone, ...opts }));
  return fmtCache.get(key);
}
/** toDate reads PocketBase's "2026-01-05 16:00:00.000Z" and ISO strings. */
export const toDate = (s) => (s instanceof Date ? s : new Date(String(s).replace(' ', 'T')));
export const fmtDay = (s, zone) => fmt(zone, { weekday: 'long', month: 'long', day: 'numeric' }).format(toDate(s));
export const fmtTime = (s, zone) => fmt(zone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(toDate(s));
export const fmtWhen = (s, zone) => `${fmtDay(s, zone)}, ${fmtTime(s, zone)}`;

/** partsIn is {y, m, d, hh, mm} of an instant on the wall clock of zone. */
export function partsIn(date, zone) {
  const p = Object.fromEntries(fmt(zone, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(toDate(date)).map((x) => [x.type, x.value]));
  return { y: +p.year, m: +p.month, d: +p.day, hh: +p.hour % 24, mm: +p.minute };
}
/** dateIn is the YYYY-MM-DD of an instant in zone. */
export function dateIn(date, zone) {
  const p = partsIn(date, zone);
  return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
}
export const todayIn = (zone) => dateIn(new Date(), zone);
/** addDays moves a YYYY-MM-DD date by n calendar days. */
export function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
/** zonedToUtc is the instant of a wall-clock date and time in zone. */
export function zonedToUtc(date, time, zone) {
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  let t = guess;
  for (let i = 0; i < 2; i++) { // twice: the offset may change across the guess
    const p = partsIn(new Date(t), zone);
    const seen = Date.UTC(p.y, p.m - 1, p.d, p.hh, p.mm);
    t += guess - seen;
  }
  return new Date(t);
}
/** pbDate is an instant as PocketBase stores it. */
export const pbDate = (d) => toDate(d).toISOString().replace('T', ' ');

export const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// ---- money: integer minor units.

export function fmtMoney(amount, currency = 'cad') {
  try {
    return new Intl.NumberFormat('en-CA', { style: 'currency', currency: currency.toUpperCase() }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

// ---- errors: PocketBase's {status, message, data: {field: {code, message}}}.

/** fieldErrors flattens data into {"parent.email": "message", …}. */
export function fieldErrors(data, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(data || {})) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && typeof v.message === 'string' && typeof v.code === 'string') out[path] = v.message;
    else if (v && typeof v === 'object') fieldErrors(v, path, out);
  }
  return out;
}

/** problem is a sentence for an error a person can act on. */
export function problem(err) {
  if (!err) return '';
  if (err.status === 0 || err.isAbort) return 'The server cannot be reached. Check the connection and try again.';
  if (err.status === 429) return 'Too many attempts: wait a minute and try again.';
  return err.response?.message || err.message || 'Something went wrong.';
}

/** clearErrors removes the error messages shown in form. */
export function clearErrors(form) {
  for (const el of $$('[aria-invalid="true"]', form)) el.removeAttribute('aria-invalid');
  for (const el of $$('.field-error', form)) el.textContent = '';
}

/**
 * showErrors puts each field error of an API error beside the input whose
 * name it carries (name="parent.email", name="windows.2.end_time"), and the
 * rest in the form's status region. It focuses the first invalid input and
 * returns how many errors it placed beside fields.
 */
export function showErrors(form, err, status = $('[role="status"], .form-status', form)) {
  clearErrors(form);
  const errs = fieldErrors(err?.response?.data);
  const rest = [];
  let placed = 0;
  let first;
  for (const [path, msg] of Object.entries(errs)) {
    const input = form.querySelector(`[name="${CSS.escape(path)}"]`);
    if (!input) { rest.push(`${path}: ${msg}`); continue; }
    const box = errorBox(input);
    box.textContent = msg;
    input.setAttribute('aria-invalid', 'true');
    placed++;
    // Focus the first field in error in the page's order, not the answer's.
    if (!first || first.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_PRECEDING) first = input;
  }
  if (status) {
    const head = placed ? 'Please correct the marked fields.' : problem(err);
    status.textContent = [head, ...rest].join(' ');
    status.className = 'notice bad form-status';
  }
  first?.focus();
  return placed;
}

function errorBox(input) {
  // A radio group's error goes under the group's legend, not one radio.
  const group = input.type === 'radio' ? input.closest('fieldset') : null;
  const id = `${group ? input.name.replace(/\W/g, '-') : input.id || input.name.replace(/\W/g, '-')}-error`;
  let box = document.getElementById(id);
  if (!box) {
    box = h('p', { id, class: 'field-error' });
    if (group) group.querySelector('legend').after(box);
    else (input.closest('.field') || input.parentElement).append(box);
  }
  const described = new Set((input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
  described.add(id);
  input.setAttribute('aria-describedby', [...described].join(' '));
  return box;
}

/** say writes a message into a live region: kind is ok, bad, warn or ''. */
export function say(region, text, kind = '') {
  if (!region) return;
  const keep = region.classList.contains('form-status') ? ' form-status' : '';
  region.className = `notice ${kind}${keep}`.replace(/\s+/g, ' ').trim();
  region.textContent = text;
}

/** field is a labelled input with its hint and error slot. */
export function field(label, input, hint) {
  const id = input.id || `f-${input.name.replace(/\W/g, '-')}`;
  input.id = id;
  const hintEl = hint ? h('span', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), hintEl, input);
}

/** busy disables a form's buttons while work runs. */
export async function busy(form, work) {
  const buttons = $$('button', form);
  buttons.forEach((b) => { b.disabled = true; });
  form.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    form.removeAttribute('aria-busy');
  }
}
