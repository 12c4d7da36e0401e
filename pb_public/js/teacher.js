// teacher.js: the teacher's day. Today's lessons and the ones still waiting
// for attendance, this week's calendar, attendance (completed / no_show, once
// the lesson has started: the lesson lifecycle decides), notes for the family
// (lessons.teacher_notes) and private ones (lesson_private_notes), the weekly
// availability (PUT /api/v1/teachers/{id}/availability, one transaction) and
// time off. The collection rules keep a teacher to its own lessons and profile.
import {
  pb, h, $, brand, fmtWhen, fmtTime, fmtDay, toDate, todayIn, addDays, zonedToUtc, pbDate, dateIn, weekdays, say,
  showErrors, clearErrors, busy, problem, field,
} from './app.js';
import { calendar } from './calendar.js';
import { requireSignIn } from './session.js';

const app = $('#app');
const dialog = $('#lesson-dialog');
let zone = 'UTC';
let profile;
let cal;
const expand = 'student,instrument';

async function start() {
  const user = await requireSignIn(app, { roles: ['teacher'], title: 'Sign in to your teacher\'s page' });
  const academy = await brand('Teacher\'s day');
  zone = academy?.timezone || 'UTC';
  try {
    profile = await pb.collection('teachers').getFirstListItem(pb.filter('user = {:u}', { u: user.id }));
  } catch {
    app.replaceChildren(h('p', { class: 'notice bad' }, 'Your account has no teacher profile yet: ask the office.'));
    return;
  }
  app.replaceChildren(
    section('today', `Today, ${fmtDay(new Date(), zone)}`),
    section('tomark', 'Still to mark'),
    section('week', 'This week'),
    section('availability', 'Weekly availability'),
    section('timeoff', 'Time off'),
  );
  const calMount = h('div');
  $('#week').append(h('p', { class: 'hint' }, `Times are in the academy's time zone (${zone}).`), calMount);
  cal = calendar(calMount, { zone, expand, label: (l) => `${l.local.start} ${l.expand?.student?.first_name || ''}${l.status === 'scheduled' ? '' : ` (${l.status.replace('_', ' ')})`}`, open: openLesson });
  await Promise.all([today(), toMark(), availability(), timeOff()]);
}

function section(id, title) {
  return h('section', { id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h`, tabindex: '-1' }, title));
}

function refresh() {
  today();
  toMark();
  cal.reload();
}

async function lessonsBetween(from, to, status) {
  const query = { from: pbDate(from), to: pbDate(to), sort: 'start', per_page: 200, teacher: profile.id, expand };
  if (status) query.status = status;
  return (await pb.send('/api/v1/lessons', { query })).items;
}

async function today() {
  const box = $('#today');
  box.replaceChildren(box.firstChild);
  const d = todayIn(zone);
  try {
    const items = await lessonsBetween(zonedToUtc(d, '00:00', zone), zonedToUtc(addDays(d, 1), '00:00', zone));
    box.append(items.length ? h('div', {}, ...items.map(lessonCard)) : h('p', {}, 'No lessons today.'));
  } catch (err) {
    box.append(h('p', { class: 'notice bad' }, problem(err)));
  }
}

// Lessons that started before today (up to two weeks back) and were never marked.
async function toMark() {
  const box = $('#tomark');
  box.replaceChildren(box.firstChild);
  const d = todayIn(zone);
  try {
    const items = await lessonsBetween(zonedToUtc(addDays(d, -14), '00:00', zone), zonedToUtc(d, '00:00', zone), 'scheduled');
    box.append(items.length ? h('div', {}, ...items.map(lessonCard)) : h('p', {}, 'Nothing left to mark from the past two weeks.'));
  } catch (err) {
    box.append(h('p', { class: 'notice bad' }, problem(err)));
  }
}

const statusText = { scheduled: 'Scheduled', completed: 'Attended', no_show: 'Missed (no-show)', cancelled: 'Cancelled' };

/** lessonCard: one lesson with attendance and both kinds of notes. */
function lessonCard(l) {
  const s = l.expand?.student;
  const name = s ? `${s.first_name} ${s.last_name}` : 'Student';
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  const started = toDate(l.start) <= new Date();
  const statusEl = h('span', { class: 'status' }, statusText[l.status]);
  const mark = (value) => async (ev) => {
    ev.target.disabled = true;
    try {
      const rec = await pb.collection('lessons').update(l.id, { status: value });
      l.status = rec.status;
      statusEl.textContent = statusText[rec.status];
      say(status, value === 'scheduled' ? 'Attendance undone.' : `Marked: ${statusText[rec.status].toLowerCase()}.`, 'ok');
      cal?.reload();
    } catch (err) {
      say(status, problem(err), 'bad');
    } finally {
      ev.target.disabled = false;
    }
  };
  const attendance = l.status === 'cancelled' ? h('p', { class: 'muted' }, l.cancellation_note || 'Cancelled.')
    : h('div', { class: 'actions', role: 'group', 'aria-label': `Attendance for ${name}` },
      h('button', { type: 'button', disabled: !started, onclick: mark('completed') }, 'Attended'),
      h('button', { type: 'button', class: 'secondary', disabled: !started, onclick: mark('no_show') }, 'Missed (no-show)'),
      h('button', { type: 'button', class: 'secondary', disabled: !started, onclick: mark('scheduled') }, 'Undo'),
      started ? null : h('span', { class: 'hint' }, 'Attendance can be marked once the lesson has started.'));
  return h('article', { class: 'lesson-card', 'data-lesson-card': l.id, 'aria-labelledby': `lc-${l.id}` },
    h('h3', { id: `lc-${l.id}` }, `${fmtTime(l.start, zone)}–${fmtTime(l.end, zone)} ${name}`),
    h('p', {}, [fmtDay(l.start, zone), l.expand?.instrument?.name, l.kind === 'regular' ? '' : l.kind].filter(Boolean).join(' · '), ' — ', statusEl),
    attendance, status, notesForm(l));
}

function notesForm(l) {
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const shared = h('textarea', { name: 'teacher_notes', id: `tn-${l.id}` });
  shared.value = l.teacher_notes || '';
  const priv = h('textarea', { name: 'note', id: `pn-${l.id}` });
  let privateRec = null;
  pb.collection('lesson_private_notes').getFirstListItem(pb.filter('lesson = {:l}', { l: l.id }))
    .then((r) => { privateRec = r; priv.value = r.note; }).catch(() => {});
  const form = h('form', { novalidate: true },
    h('details', {}, h('summary', {}, 'Notes'),
      field('Notes for the family', shared, 'The family sees these with the lesson.'),
      field('Private notes', priv, 'Only teachers and the office see these.'),
      status,
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save the notes'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    busy(form, async () => {
      try {
        await pb.collection('lessons').update(l.id, { teacher_notes: shared.value });
        l.teacher_notes = shared.value;
        const note = priv.value.trim();
        if (privateRec && note) privateRec = await pb.collection('lesson_private_notes').update(privateRec.id, { note });
        else if (privateRec && !note) { await pb.collection('lesson_private_notes').delete(privateRec.id); privateRec = null; }
        else if (note) privateRec = await pb.collection('lesson_private_notes').create({ lesson: l.id, note });
        say(status, 'Notes saved.', 'ok');
      } catch (err) {
        showErrors(form, err, status);
      }
    });
  });
  return form;
}

function openLesson(l) {
  dialog.replaceChildren(
    h('h2', { id: 'lesson-dialog-h' }, `Lesson: ${fmtWhen(l.start, zone)}`),
    lessonCard(l),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => { dialog.close(); today(); toMark(); } }, 'Close')),
  );
  dialog.showModal();
}

// ---- weekly availability: the whole week is replaced in one request

async function availability() {
  const box = $('#availability');
  box.replaceChildren(box.firstChild);
  let windows;
  try {
    windows = await pb.collection('availability').getFullList({ filter: pb.filter('teacher = {:t}', { t: profile.id }), sort: 'weekday,start_time' });
  } catch (err) {
    box.append(h('p', { class: 'notice bad' }, problem(err)));
    return;
  }
  const rows = h('div');
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, id: 'availability-form', 'aria-labelledby': 'availability-h' },
    h('p', { class: 'hint' }, `When families may book lessons with you each week (${zone}).`),
    rows,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'secondary', onclick: () => addRow({ weekday: 1, start_time: '15:00', end_time: '18:00' }, true) }, 'Add a time'),
      h('button', { type: 'submit' }, 'Save the week')),
    status);
  let n = 0;
  function addRow(w, focus = false) {
    const i = n++;
    const day = h('select', { name: `windows.${i}.weekday`, id: `w-${i}-day` }, ...weekdays.map((d, k) => h('option', { value: String(k) }, d)));
    day.value = String(w.weekday);
    const row = h('fieldset', { class: 'row', 'data-row': i, 'data-valid-from': w.valid_from || '', 'data-valid-to': w.valid_to || '' },
      h('legend', { class: 'visually-hidden' }, `Time ${i + 1}`),
      field('Day', day),
      field('From', h('input', { type: 'time', name: `windows.${i}.start_time`, id: `w-${i}-start`, value: w.start_time, step: 300 })),
      field('To', h('input', { type: 'time', name: `windows.${i}.end_time`, id: `w-${i}-end`, value: w.end_time, step: 300 })),
      h('div', { class: 'field' }, h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove time ${i + 1}`, onclick: () => row.remove() }, 'Remove')));
    rows.append(row);
    if (focus) day.focus();
  }
  windows.forEach((w) => addRow(w));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    // Rows are renumbered in their order on screen, so an error about
    // windows.2 lands beside the third row shown.
    const list = [...rows.querySelectorAll('[data-row]')].map((row, k) => {
      for (const el of row.querySelectorAll('[name]')) el.name = el.name.replace(/^windows\.\d+\./, `windows.${k}.`);
      const get = (suffix) => row.querySelector(`[name="windows.${k}.${suffix}"]`).value;
      return { weekday: Number(get('weekday')), start_time: get('start_time'), end_time: get('end_time'),
        valid_from: row.dataset.validFrom.slice(0, 10), valid_to: row.dataset.validTo.slice(0, 10) };
    });
    busy(form, async () => {
      try {
        await pb.send(`/api/v1/teachers/${profile.id}/availability`, { method: 'PUT', body: { windows: list } });
        say(status, 'Your week is saved.', 'ok');
      } catch (err) {
        showErrors(form, err, status);
      }
    });
  });
  box.append(form);
}

// ---- time off

async function timeOff() {
  const box = $('#timeoff');
  box.replaceChildren(box.firstChild);
  const list = h('ul', { class: 'lesson-list' });
  const load = async () => {
    try {
      const items = await pb.collection('time_off').getFullList({ filter: pb.filter('teacher = {:t} && end > @now', { t: profile.id }), sort: 'start' });
      list.replaceChildren(...(items.length ? items.map((t) => h('li', { class: 'lesson-card' },
        h('p', {}, `${fmtWhen(t.start, zone)} – ${fmtWhen(t.end, zone)}${t.reason ? `: ${t.reason}` : ''}`),
        h('button', { type: 'button', class: 'secondary', onclick: async () => { await pb.collection('time_off').delete(t.id); load(); } }, 'Remove')))
        : [h('li', {}, 'No time off planned.')]));
    } catch (err) {
      list.replaceChildren(h('li', { class: 'notice bad' }, problem(err)));
    }
  };
  const d = todayIn(zone);
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { novalidate: true, 'aria-label': 'Add time off' },
    h('div', { class: 'row' },
      field('From (day)', h('input', { type: 'date', name: 'start', id: 'to-start', value: d })),
      field('From (time)', h('input', { type: 'time', name: 'start_time', id: 'to-start-time', value: '00:00' })),
      field('To (day)', h('input', { type: 'date', name: 'end', id: 'to-end', value: d })),
      field('To (time)', h('input', { type: 'time', name: 'end_time', id: 'to-end-time', value: '23:59' }))),
    field('Reason (optional)', h('input', { name: 'reason', id: 'to-reason', maxlength: 500 })),
    status,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add time off')));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    busy(form, async () => {
      try {
        if (!form.start.value || !form.end.value) throw { response: { data: { [form.start.value ? 'end' : 'start']: { code: 'required', message: 'Pick a day.' } } } };
        const start = zonedToUtc(form.start.value, form.start_time.value || '00:00', zone);
        const end = zonedToUtc(form.end.value, form.end_time.value || '23:59', zone);
        if (end <= start) throw { response: { data: { end: { code: 'range', message: 'Must be after the start.' } } } };
        await pb.collection('time_off').create({ teacher: profile.id, start: pbDate(start), end: pbDate(end), reason: form.reason.value.trim() });
        say(status, `Time off added: ${dateIn(start, zone)} to ${dateIn(end, zone)}.`, 'ok');
        form.reason.value = '';
        load();
      } catch (err) {
        showErrors(form, err, status);
      }
    });
  });
  box.append(list, h('h3', {}, 'Add time off'), form);
  load();
}

start();
