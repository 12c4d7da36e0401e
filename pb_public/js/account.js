// account.js: the family page. Everything is read and written as the signed-in
// parent through the SDK and the /api/v1 routes, so the collection rules decide
// what the family sees: its students, its lessons (week and month in the
// academy's zone), cancelling with the make-up decision shown before
// confirming, make-up booking into a free slot, freed-slot offers, money
// (ledger, payments, receipts), the calendar feed and reminders.
import {
  pb, h, $, brand, fmtWhen, fmtDay, fmtTime, fmtMoney, toDate, todayIn, addDays, say, showErrors, clearErrors, busy,
  problem, field,
} from './app.js';
import { calendar } from './calendar.js';
import { requireSignIn } from './session.js';

const app = $('#app');
const dialog = $('#lesson-dialog');
let zone = 'UTC';
let academy;
let user;
let cal;

async function start() {
  user = await requireSignIn(app, { roles: ['parent'], title: 'Sign in to your family page' });
  academy = await brand('Family page');
  zone = academy?.timezone || 'UTC';
  app.replaceChildren(
    section('offer', 'A free lesson slot for you', true),
    section('students', 'Students'),
    section('calendar', 'Lessons'),
    section('makeups', 'Make-up credits'),
    section('offers', 'Free slots offered to you'),
    section('money', 'Payments and balance'),
    section('settings', 'Calendar link and reminders'),
  );
  $('#calendar').append(h('p', { class: 'hint' }, `Times are in the academy's time zone (${zone}). Choose a lesson to see it or cancel it.`));
  const calMount = h('div');
  $('#calendar').append(calMount);
  cal = calendar(calMount, { zone, label: lessonLabel, open: openLesson });
  await Promise.all([offerFromLink(), students(), makeups(), offers(), money(), settings()]);
}

function section(id, title, hidden = false) {
  return h('section', { id, 'aria-labelledby': `${id}-h`, hidden }, h('h2', { id: `${id}-h`, tabindex: '-1' }, title));
}

const statusWords = { scheduled: '', cancelled: ' (cancelled)', completed: ' (attended)', no_show: ' (missed)' };
function lessonLabel(l) {
  const who = l.expand?.student?.first_name || 'Lesson';
  const what = l.expand?.instrument?.name || '';
  return `${l.local.start} ${who}${what ? ` · ${what}` : ''}${l.kind === 'makeup' ? ' · make-up' : ''}${statusWords[l.status] || ''}`;
}

// ---- students

async function students() {
  const box = $('#students');
  try {
    const items = await pb.collection('students').getFullList({ sort: 'first_name', expand: 'instruments,preferred_teacher' });
    box.append(items.length
      ? h('ul', { class: 'cards' }, ...items.map((s) => h('li', { class: 'card', 'data-student': s.id },
        h('h3', {}, `${s.first_name} ${s.last_name}`),
        h('p', {}, (s.expand?.instruments || []).map((i) => i.name).join(', ') || 'No instrument yet'),
        h('p', { class: 'muted' }, [s.status, s.level].filter(Boolean).join(' · ')),
        s.expand?.preferred_teacher ? h('p', {}, `Teacher: ${s.expand.preferred_teacher.display_name}`) : null)))
      : h('p', {}, 'No students yet. Book a trial lesson from the academy\'s front page.'));
  } catch (err) {
    box.append(h('p', { class: 'notice bad' }, problem(err)));
  }
}

// ---- one lesson: details, and cancelling with the make-up decision first

/**
 * makeupPreview is what the academy's make-up policy (scheduling.MakeupPolicy)
 * will decide for a family cancelling now: a credit with at least
 * cancellation_notice_hours of notice, none later. The server has no dry run
 * for a cancellation, so the page works it out from the same public settings;
 * the server's own decision is shown once the cancellation is done.
 */
export function makeupPreview(start, noticeHours, now = new Date()) {
  const ahead = (toDate(start) - now) / 3_600_000;
  const rounded = Math.round(ahead);
  if (ahead >= noticeHours) {
    return { credit: true, text: `You will get a make-up credit (valid 90 days): you are cancelling about ${rounded} hours ahead, and the academy asks for ${noticeHours} hours' notice.` };
  }
  return { credit: false, text: `No make-up credit: you are cancelling ${ahead < 0 ? 'after the start' : `about ${rounded} hours ahead`}, and the academy asks for ${noticeHours} hours' notice for a credit.` };
}

function openLesson(l) {
  const s = l.expand?.student;
  const status = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite', id: 'lesson-status' });
  const rows = [
    ['When', `${fmtWhen(l.start, zone)}–${fmtTime(l.end, zone)}`],
    ['Student', s ? `${s.first_name} ${s.last_name}` : ''],
    ['Teacher', l.expand?.teacher?.display_name || ''],
    ['Instrument', l.expand?.instrument?.name || ''],
    ['Status', { scheduled: 'Scheduled', cancelled: 'Cancelled', completed: 'Attended', no_show: 'Missed' }[l.status]],
  ];
  if (l.teacher_notes) rows.push(['Teacher\'s notes', l.teacher_notes]);
  if (l.cancellation_note) rows.push(['Make-up decision', l.cancellation_note]);
  const parts = [
    h('h2', { id: 'lesson-dialog-h' }, `${s?.first_name || 'Lesson'}: ${fmtDay(l.start, zone)}`),
    h('dl', {}, ...rows.filter(([, v]) => v).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
  ];
  if (l.status === 'scheduled' && toDate(l.start) > new Date()) {
    const preview = makeupPreview(l.start, academy?.cancellation_notice_hours ?? 24);
    parts.push(h('h3', {}, 'Cancel this lesson'),
      h('p', { class: `notice ${preview.credit ? 'ok' : 'warn'}`, id: 'makeup-preview' }, preview.text),
      h('p', { class: 'hint' }, 'Worked out from the academy\'s notice rule; the academy confirms the decision when you cancel.'),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'danger', id: 'confirm-cancel', onclick: (ev) => cancelLesson(l, ev.target, status) }, 'Cancel the lesson')));
  }
  parts.push(status, h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Close')));
  dialog.replaceChildren(...parts);
  dialog.showModal();
}

async function cancelLesson(l, button, status) {
  button.disabled = true;
  say(status, 'Cancelling…');
  try {
    const res = await pb.send(`/api/v1/lessons/${l.id}/cancel`, { method: 'POST', body: { cancelled_by: 'family' } });
    const done = res.lessons?.[0] || {};
    button.closest('.actions').remove();
    say(status, `Cancelled. ${done.cancellation_note ? `The academy's decision: ${done.cancellation_note}.` : ''}`, 'ok');
    cal.reload();
    makeups();
  } catch (err) {
    button.disabled = false;
    say(status, problem(err), 'bad');
  }
}

// ---- make-up credits and booking a make-up into a free slot

async function makeups() {
  const box = $('#makeups');
  box.replaceChildren(box.firstChild);
  try {
    const credits = await pb.collection('makeup_credits').getFullList({
      filter: 'used_by = "" && revoked_at = "" && expires > @now', sort: 'expires', expand: 'student,source_lesson',
    });
    if (!credits.length) {
      box.append(h('p', {}, 'No make-up credit to use. A lesson cancelled with enough notice gives one.'));
      return;
    }
    box.append(h('ul', { class: 'lesson-list' }, ...credits.map((c) => h('li', { class: 'lesson-card', 'data-credit': c.id },
      h('h3', {}, `${c.expand?.student?.first_name || 'Student'}: one make-up lesson`),
      h('p', {}, `For the lesson of ${c.expand?.source_lesson ? fmtWhen(c.expand.source_lesson.start, zone) : 'a cancelled lesson'} (${c.reason}). Use it by ${fmtDay(c.expires, zone)}.`),
      makeupForm(c)))));
  } catch (err) {
    box.append(h('p', { class: 'notice bad' }, problem(err)));
  }
}

function makeupForm(credit) {
  const lesson = credit.expand?.source_lesson;
  const minutes = lesson ? Math.round((toDate(lesson.end) - toDate(lesson.start)) / 60_000) : 30;
  const id = credit.id;
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const slots = h('div', { class: 'slots' });
  let choices = [];
  const week = h('input', { type: 'date', name: 'from', id: `from-${id}`, value: addDays(todayIn(zone), 1), min: todayIn(zone) });
  const form = h('form', { novalidate: true, 'aria-label': `Book a make-up for ${credit.expand?.student?.first_name || 'the student'}` },
    h('div', { class: 'row' }, field('Week starting', week),
      h('div', { class: 'field' }, h('button', { type: 'button', onclick: find }, 'Show free times'))),
    h('fieldset', {}, h('legend', {}, 'Free times'), slots),
    status,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Book this make-up')));

  function list(items, heading, kind = '') {
    choices = items;
    say(status, items.length ? `${heading}: ${items.length} to choose from.` : 'No free time that week: try another.', items.length ? kind : 'warn');
    slots.replaceChildren(...items.map((s, i) => h('div', { class: 'slot' },
      h('input', { type: 'radio', name: 'start', id: `mk-${id}-${i}`, value: String(i) }),
      h('label', { for: `mk-${id}-${i}` }, `${fmtWhen(s.start, zone)} with ${s.teacher_name}`))));
  }

  async function find() {
    clearErrors(form);
    if (!lesson) { say(status, 'The cancelled lesson cannot be read.', 'bad'); return; }
    try {
      const from = week.value || todayIn(zone);
      const res = await pb.send('/api/v1/public/timeslots', { query: { instrument: lesson.instrument, from, to: addDays(from, 6), minutes } });
      list(res.slots.filter((s) => toDate(s.start) > new Date()), 'Free times');
    } catch (err) {
      showErrors(form, err, status);
    }
  }

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const pick = choices[Number(form.querySelector('input[name="start"]:checked')?.value)];
    if (!pick) {
      showErrors(form, { response: { data: { start: { code: 'required', message: 'Pick one of the free times.' } } } }, status);
      return;
    }
    busy(form, async () => {
      try {
        await pb.send('/api/v1/lessons', { method: 'POST', body: {
          teacher: pick.teacher, student: credit.student, instrument: lesson.instrument, start: pick.start, minutes, kind: 'makeup',
        } });
        say(status, `Booked: ${fmtWhen(pick.start, zone)} with ${pick.teacher_name}.`, 'ok');
        cal.reload();
        setTimeout(makeups, 2500); // leave the confirmation readable, then drop the spent credit
      } catch (err) {
        if (Array.isArray(err.response?.alternatives)) {
          list(err.response.alternatives, 'Times offered instead', 'warn');
          say(status, `That time is no longer free (${Object.values(err.response.data || {}).map((d) => d.message).join(' ') || err.response.message}). Pick one of the times offered instead and book again.`, 'bad');
          form.querySelector('input[name="start"]')?.focus();
        } else {
          showErrors(form, err, status);
        }
      }
    });
  });
  return form;
}

// ---- freed-slot offers (the offers routes; their mail links here with ?offer=)

function offerCard(o, token) {
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  const btn = h('button', { type: 'button', onclick: () => acceptOffer(token, btn, status) }, 'Book this slot');
  const when = o.when || fmtWhen(o.start, zone);
  return h('div', { class: 'lesson-card', 'data-offer': o.id },
    h('h3', {}, `${o.kind === 'move' ? 'Move a lesson to' : 'Make-up'}: ${when}`),
    h('p', {}, [o.student, o.teacher, o.instrument].filter(Boolean).join(' · ')),
    o.status === 'open' ? h('div', { class: 'actions' }, btn) : h('p', { class: 'notice warn' }, `This offer is ${o.status}.`),
    status);
}

async function acceptOffer(token, btn, status) {
  btn.disabled = true;
  try {
    const res = await pb.send(`/api/v1/offers/${encodeURIComponent(token)}/accept`, { method: 'POST' });
    say(status, res.again ? 'You had booked it already.' : 'Booked: a confirmation is on its way by mail.', 'ok');
    btn.remove();
    cal.reload();
    makeups();
  } catch (err) {
    btn.disabled = false;
    say(status, problem(err), 'bad');
  }
}

async function offerFromLink() {
  const token = new URLSearchParams(location.search).get('offer');
  if (!token) return;
  const box = $('#offer');
  box.hidden = false;
  try {
    box.append(offerCard(await pb.send(`/api/v1/offers/${encodeURIComponent(token)}`, {}), token));
  } catch (err) {
    box.append(h('p', { class: 'notice bad' }, err.status === 404 ? 'This offer was not found: it may have expired.' : problem(err)));
  }
  $('#offer-h').focus();
}

async function offers() {
  const box = $('#offers');
  try {
    const items = await pb.collection('slot_offers').getFullList({ filter: 'status = "open" && expires_at > @now', sort: 'start', expand: 'student,teacher,instrument' });
    box.append(items.length
      ? h('div', {}, ...items.map((o) => offerCard({
        id: o.id, kind: o.kind, status: o.status, start: o.start,
        student: o.expand?.student?.first_name, teacher: o.expand?.teacher?.display_name, instrument: o.expand?.instrument?.name,
      }, o.token)))
      : h('p', {}, 'No free slot is offered to you right now. When a lesson is cancelled, families with a make-up credit are offered its time by mail.'));
  } catch (err) {
    box.append(h('p', { class: 'muted' }, err.status === 404 ? 'Freed-slot offers are not available on this server.' : problem(err)));
  }
}

// ---- money

async function money() {
  const box = $('#money');
  try {
    const [ledger, payments, receipts] = await Promise.all([
      pb.send(`/api/v1/billing/families/${user.id}/ledger`, {}),
      pb.send('/api/v1/payments', { query: { per_page: 50, sort: '-created' } }),
      pb.collection('billing_notices').getList(1, 20, { filter: 'kind = "receipt" || kind = "refund"', sort: '-created', skipTotal: true }),
    ]);
    const balances = ledger.balance?.length ? ledger.balance : [{ amount: 0, currency: academy?.currency || 'cad' }];
    box.append(
      h('p', { class: 'price', id: 'balance' }, balances.map((b) => (b.amount > 0 ? `You owe ${fmtMoney(b.amount, b.currency)}`
        : b.amount < 0 ? `In credit: ${fmtMoney(-b.amount, b.currency)}` : `Balance: ${fmtMoney(0, b.currency)}`)).join(' · ')),
      h('p', {}, h('a', { href: '/account/billing/' }, 'Update your card or see invoices')),
      h('h3', {}, 'Account history'),
      ledger.entries?.length ? table(['Date', 'What', 'Amount', 'Balance'], ledger.entries.slice().reverse().map((e) => [
        fmtDay(e.occurred_at, zone), e.description, fmtMoney(e.amount, e.currency), fmtMoney(e.running_balance, e.currency)]), [2, 3])
        : h('p', {}, 'Nothing yet.'),
      h('h3', {}, 'Payments'),
      payments.items?.length ? table(['Date', 'What', 'Method', 'Status', 'Amount'], payments.items.map((p) => [
        fmtDay(p.created, zone), p.description || p.kind, p.method, p.status.replace('_', ' '), fmtMoney(p.amount, p.currency)]), [4])
        : h('p', {}, 'No payment yet.'),
      h('h3', {}, 'Receipts'),
      receipts.items.length ? h('ul', {}, ...receipts.items.map((r) => h('li', {}, h('details', {},
        h('summary', {}, `${fmtDay(r.created, zone)}: ${r.subject}`), h('p', { class: 'pre' }, r.body)))))
        : h('p', {}, 'No receipt yet.'),
    );
  } catch (err) {
    box.append(h('p', { class: 'notice bad' }, problem(err)));
  }
}

function table(head, rows, numeric = []) {
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, ...head.map((t, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : '' }, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', { class: numeric.includes(i) ? 'num' : '' }, c)))))));
}

// ---- calendar feed and reminders

async function settings() {
  const box = $('#settings');
  const feedStatus = h('p', { role: 'status', 'aria-live': 'polite' });
  const feedInput = h('input', { id: 'feed-url', readonly: true, value: '', placeholder: 'Press “Show my calendar link”' });
  const feed = async (rotate) => {
    try {
      const res = await pb.send(`/api/v1/calendars/feed${rotate ? '/rotate' : ''}`, { method: 'POST', body: {} });
      feedInput.value = new URL(res.url, location.origin).href;
      say(feedStatus, rotate ? 'A new link: the old one no longer works.' : 'Add this link to your calendar app (subscribe by URL). Keep it private: anyone with it sees your lessons.', 'ok');
    } catch (err) {
      say(feedStatus, problem(err), 'bad');
    }
  };
  box.append(
    h('h3', {}, 'Your lessons in your calendar app'),
    field('Calendar link (ICS)', feedInput),
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => feed(false) }, 'Show my calendar link'),
      h('button', { type: 'button', class: 'secondary', onclick: () => { feedInput.select(); navigator.clipboard?.writeText(feedInput.value).catch(() => {}); } }, 'Copy'),
      h('button', { type: 'button', class: 'secondary', onclick: () => feed(true) }, 'Make a new link')),
    feedStatus,
  );

  const remStatus = h('p', { role: 'status', 'aria-live': 'polite' });
  const supported = Object.hasOwn(user, 'reminders_off');
  const box2 = h('input', { type: 'checkbox', id: 'reminders', checked: supported ? !user.reminders_off : true, disabled: !supported });
  box2.addEventListener('change', async () => {
    try {
      const rec = await pb.collection('users').update(user.id, { reminders_off: !box2.checked });
      user = rec;
      say(remStatus, rec.reminders_off ? 'Reminders are off.' : 'Reminders are on: a mail the day before each lesson.', 'ok');
    } catch (err) {
      box2.checked = !box2.checked;
      say(remStatus, problem(err), 'bad');
    }
  });
  box.append(h('h3', {}, 'Reminders'),
    h('div', { class: 'check' }, box2, h('label', { for: 'reminders' }, 'E-mail me a reminder the day before each lesson')),
    supported ? null : h('p', { class: 'hint' }, 'Reminders cannot be turned off on this server yet.'),
    remStatus);
}

start();
