// public.js: the academy's front page — instruments, public teachers, prices
// — and the trial booking: instrument → free slots (/api/v1/public/timeslots)
// → parent and student → POST /api/v1/public/enrollments → progress of the
// enrollment run (realtime on workflow_runs/<id>) until it is confirmed, or
// the reason it could not be with the times offered instead.
import {
  pb, h, $, brand, fmtMoney, fmtDay, fmtTime, fmtWhen, todayIn, addDays, say, showErrors, clearErrors, busy, problem,
} from './app.js';

const form = $('#booking');
const slotBox = $('#slots');
const slotStatus = $('#slot-status');
const formStatus = $('.form-status', form);
let zone = 'UTC';
let teacherNames = {};
let slotChoices = []; // index → {teacher, start}

const intervals = { month: 'per month', semester: 'per semester', school_year: 'per month, for the school year' };

async function start() {
  const a = await brand();
  zone = a?.timezone || 'UTC';
  form.from.value = todayIn(zone);
  form.from.min = todayIn(zone);
  await Promise.all([loadInstruments(), loadTeachers(), loadPlans()]);
}

async function loadInstruments() {
  const list = $('#instruments');
  try {
    const items = await pb.collection('instruments').getFullList({ filter: 'active = true', sort: 'name' });
    list.replaceChildren(...items.map((i) => h('li', {}, i.name)));
    form['student.instrument'].replaceChildren(
      h('option', { value: '' }, 'Choose an instrument'),
      ...items.map((i) => h('option', { value: i.id }, i.name)),
    );
  } catch (err) {
    list.replaceChildren(h('li', {}, problem(err)));
  }
}

async function loadTeachers() {
  const list = $('#teacher-list');
  try {
    const { items } = await pb.send('/api/v1/public/teachers', {});
    teacherNames = Object.fromEntries(items.map((t) => [t.id, t.display_name]));
    list.replaceChildren(...items.map((t) => h('li', { class: 'card' },
      t.photo ? h('img', { class: 'photo', src: t.photo, alt: '' }) : null,
      h('h3', {}, t.display_name),
      h('p', {}, t.instruments.map((i) => i.name).join(', ') || 'Instruments to be announced'),
      t.lesson_lengths.length ? h('p', { class: 'muted' }, `Lessons of ${t.lesson_lengths.join(', ')} minutes`) : null,
      t.bio ? h('p', {}, textOf(t.bio)) : null,
    )));
    if (!items.length) list.replaceChildren(h('li', {}, 'Our teachers will be introduced here soon.'));
  } catch (err) {
    list.replaceChildren(h('li', {}, problem(err)));
  }
}

// A teacher's bio is rich text written in the admin UI: shown as plain text.
function textOf(html) {
  return new DOMParser().parseFromString(html, 'text/html').body.textContent.trim();
}

async function loadPlans() {
  const list = $('#plan-list');
  try {
    const { items } = await pb.send('/api/v1/public/pricing', {});
    list.replaceChildren(...items.map((p) => h('li', { class: 'card' },
      h('h3', {}, p.name),
      h('p', { class: 'price' }, fmtMoney(p.amount, p.currency), h('span', { class: 'muted' }, ` ${intervals[p.interval] || p.interval}`)),
      h('p', {}, `${p.lessons_per_period} lessons of ${p.lesson_minutes} minutes`),
    )));
    if (!items.length) list.replaceChildren(h('li', {}, 'Ask us for our prices.'));
    form.plan.replaceChildren(...items.map((p) => h('option', { value: p.id }, `${p.name} (${fmtMoney(p.amount, p.currency)})`)));
  } catch (err) {
    list.replaceChildren(h('li', {}, problem(err)));
  }
}

async function findSlots() {
  clearErrors(form);
  const instrument = form['student.instrument'].value;
  const from = form.from.value || todayIn(zone);
  if (!instrument) {
    showErrors(form, { response: { data: { 'student.instrument': { code: 'required', message: 'Choose an instrument first.' } } } });
    return;
  }
  say(slotStatus, 'Looking for free times…');
  slotBox.replaceChildren();
  try {
    const res = await pb.send('/api/v1/public/timeslots', { query: { instrument, from, to: addDays(from, 6) } });
    showSlots(res.slots, `Free times in the week of ${fmtDay(`${from}T12:00:00Z`, 'UTC')}`);
  } catch (err) {
    if (showErrors(form, err, slotStatus) === 0) say(slotStatus, problem(err), 'bad');
  }
}

/** showSlots lists slots as radio buttons grouped by day. */
function showSlots(slots, heading, kind = '') {
  slotChoices = slots.map((s) => ({ teacher: s.teacher, start: s.start }));
  if (!slots.length) {
    say(slotStatus, 'No free time that week: try the next one.', 'warn');
    slotBox.replaceChildren();
    return;
  }
  say(slotStatus, `${heading}: ${slots.length} to choose from.`, kind);
  const byDay = new Map();
  slots.forEach((s, i) => {
    const day = fmtDay(s.start, zone);
    if (!byDay.has(day)) byDay.set(day, []);
    byDay.get(day).push(h('div', { class: 'slot' },
      h('input', { type: 'radio', name: 'trial', id: `slot-${i}`, value: String(i), required: true, 'data-start': new Date(s.start).toISOString() }),
      h('label', { for: `slot-${i}` }, `${fmtTime(s.start, zone)} with ${s.teacher_name || teacherNames[s.teacher] || 'a teacher'}`),
    ));
  });
  let n = 0;
  slotBox.replaceChildren(...[...byDay].map(([day, rows]) => {
    const id = `day-${n++}`;
    return h('div', { role: 'group', 'aria-labelledby': id }, h('h3', { id }, day), ...rows);
  }));
}

function body() {
  const v = (name) => form[name].value.trim();
  const choice = slotChoices[Number(form.querySelector('input[name="trial"]:checked')?.value)];
  const parent = { name: v('parent.name'), email: v('parent.email'), phone: v('parent.phone') };
  if (form['parent.password'].value) parent.password = form['parent.password'].value;
  const student = {
    first_name: v('student.first_name'), last_name: v('student.last_name'),
    birth_date: v('student.birth_date'), instrument: v('student.instrument'),
  };
  if (v('student.level')) student.level = v('student.level');
  const b = { parent, student, plan: v('plan'), website: form.website.value };
  if (choice) b.trial = choice;
  return b;
}

async function submit(ev) {
  ev.preventDefault();
  clearErrors(form);
  const b = body();
  if (!b.trial) {
    showErrors(form, { response: { data: { trial: { code: 'required', message: 'Pick one of the free times (step 2).' } } } });
    return;
  }
  await busy(form, async () => {
    say(formStatus, 'Sending your booking…');
    try {
      const res = await pb.send('/api/v1/public/enrollments', { method: 'POST', query: { wait: 3000 }, body: b });
      say(formStatus, '');
      follow(res, b);
    } catch (err) {
      refused(err, b);
    }
  });
}

function refused(err, b) {
  const res = err.response || {};
  if (err.status === 404) {
    say(formStatus, 'Online booking is not open on this server yet. Please call or write to the academy to book a trial.', 'bad');
    return;
  }
  if (Array.isArray(res.alternatives)) {
    // The slot went meanwhile: offer what the academy proposes instead.
    const alts = res.alternatives.map((a) => ({ ...a, teacher_name: a.teacher_name || teacherNames[a.teacher] }));
    showErrors(form, err, formStatus);
    say(formStatus, `${res.reason || res.message || 'That time is no longer free.'} Pick one of the times offered in step 2 and book again.`, 'bad');
    showSlots(alts, 'Times offered instead', 'warn');
    $('#slot-group').scrollIntoView({ block: 'start' });
    $('input[name="trial"]', form)?.focus();
    return;
  }
  if (err.status === 400 || err.status === 422 || err.status === 402) {
    if (showErrors(form, err, formStatus) === 0) say(formStatus, res.reason ? `We could not book it: ${res.reason}.` : problem(err), 'bad');
    return;
  }
  say(formStatus, problem(err), 'bad');
}

// ---- progress of the enrollment run.

const stepNames = [
  ['validate', 'Your request is checked'],
  ['account', 'Your family account is ready'],
  ['match', 'A teacher is chosen'],
  ['hold', 'The trial time is held for you'],
  ['confirmed', 'Your e-mail address is confirmed'],
  ['payment', 'Billing is set up'],
  ['record', 'The enrollment is recorded'],
  ['welcome', 'A welcome mail is on its way'],
];

async function follow(res, b) {
  const box = $('#progress');
  box.hidden = false;
  form.hidden = true;
  $('#progress-h').focus();
  const status = $('#progress-status');
  if (res.status === 'completed' || res.result) {
    render({ status: 'completed', done: stepNames.map(([n]) => n), result: res.result });
    return;
  }
  render({ status: res.status, done: [], waiting_for: res.waiting_for });
  if (!b.parent.password) {
    say(status, `Almost done: we sent a link to ${b.parent.email}. Open it to confirm your address; the trial time is held for you until then.`, 'warn');
    return;
  }
  try {
    await pb.collection('users').authWithPassword(b.parent.email, b.parent.password);
    const run = await pb.collection('workflow_runs').getOne(res.run);
    render(run, res.waiting_for);
    await pb.collection('workflow_runs').subscribe(res.run, (e) => render(e.record));
  } catch {
    say(status, `We sent a link to ${b.parent.email}: open it to confirm your address and your trial.`, 'warn');
  }
}

function render(run, waitingFor) {
  const done = new Set(run.done || []);
  const waitingMail = run.status === 'waiting' && (waitingFor === 'email_confirmation' || String(run.wait_key || '').startsWith('user_verified:'));
  if (done.has('confirmed') || run.status === 'completed') done.add('confirmed');
  let now = true;
  $('#progress-steps').replaceChildren(...stepNames.map(([node, label]) => {
    let state = 'todo';
    if (done.has(node)) state = 'done';
    else if (now && run.status !== 'failed') { state = 'now'; now = false; }
    return h('li', { 'data-state': state }, label, state === 'done' ? h('span', { class: 'visually-hidden' }, ' (done)') : '');
  }));
  const status = $('#progress-status');
  if (run.status === 'completed') {
    const r = run.result || {};
    const when = r.trial_start ? fmtWhen(r.trial_start, zone) : r.when;
    say(status, `Confirmed: the trial lesson is ${when ? `on ${when}` : 'booked'}${r.teacher ? ` with ${teacherNames[r.teacher] || r.teacher}` : ''}. A confirmation is in your mailbox.`, 'ok');
    pb.collection('workflow_runs').unsubscribe().catch(() => {});
  } else if (['failed', 'cancelled', 'dead_letter'].includes(run.status)) {
    const why = String(run.error || 'the booking could not be completed').replace(/^node \w+: /, '');
    say(status, `We could not book the trial: ${why}. Pick another time below.`, 'bad');
    pb.collection('workflow_runs').unsubscribe().catch(() => {});
    form.hidden = false;
    findSlots();
  } else if (waitingMail) {
    say(status, 'Almost done: open the link we sent to your e-mail address to confirm it. This page updates by itself.', 'warn');
  } else {
    say(status, 'Working on it…');
  }
}

// The buttons answer from the first moment: a click or a submit that comes
// while the catalogue still loads waits for it instead of being lost (or,
// for the form, posting the page natively).
const ready = start();
$('#find-slots').addEventListener('click', () => ready.then(findSlots));
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  ready.then(() => submit(ev));
});
