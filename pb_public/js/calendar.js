// calendar.js: a week or month of lessons from GET /api/v1/lessons/schedule/view
// (days in the academy's zone, Monday first), each lesson a button that
// opens its details. The lessons rules decide whose lessons come back.
import { pb, h, todayIn, addDays } from './app.js';

const dayNames = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * calendar mounts a calendar: label(lesson) is the button's text and
 * open(lesson) runs when it is pressed. It returns { reload }.
 */
export function calendar(mount, { zone, label, open, expand = 'student,teacher,instrument' }) {
  let view = 'week';
  let date = todayIn(zone);
  const title = h('span', { class: 'title', 'aria-live': 'polite' });
  const body = h('div');
  const viewBtn = (v, text) => h('button', {
    type: 'button', class: 'secondary', 'aria-pressed': String(v === view), 'data-view': v,
    onclick: () => { view = v; load(); },
  }, text);
  const step = (n) => () => {
    if (view === 'week') date = addDays(date, 7 * n);
    else {
      const [y, m] = date.split('-').map(Number);
      const d = new Date(Date.UTC(y, m - 1 + n, 1));
      date = d.toISOString().slice(0, 10);
    }
    load();
  };
  const bar = h('div', { class: 'cal-toolbar' },
    viewBtn('week', 'Week'), viewBtn('month', 'Month'),
    h('button', { type: 'button', class: 'secondary', onclick: step(-1) }, 'Previous'),
    h('button', { type: 'button', class: 'secondary', onclick: () => { date = todayIn(zone); load(); } }, 'Today'),
    h('button', { type: 'button', class: 'secondary', onclick: step(1) }, 'Next'),
    title,
  );
  mount.replaceChildren(bar, body);

  async function load() {
    for (const b of bar.querySelectorAll('[data-view]')) b.setAttribute('aria-pressed', String(b.dataset.view === view));
    try {
      const res = await pb.send('/api/v1/lessons/schedule/view', { query: { view, date, expand } });
      title.textContent = heading(res);
      body.replaceChildren(view === 'week' ? week(res) : month(res));
    } catch (err) {
      body.replaceChildren(h('p', { class: 'notice bad' }, err.response?.message || 'The calendar could not be loaded.'));
    }
  }

  const today = todayIn(zone);
  const lessonList = (lessons) => h('ul', { class: 'lesson-list' }, ...lessons.map((l) => h('li', {},
    h('button', { type: 'button', class: `lesson-btn ${l.status}`, 'data-lesson': l.id, onclick: () => open(l) }, label(l)))));

  function week(res) {
    return h('ul', { class: 'week', 'aria-label': `Week of ${res.from}`, 'data-from': res.from }, ...res.days.map((d, i) => h('li', { class: d.date === today ? 'today' : '' },
      h('p', { class: 'day-name' }, `${dayNames[i]} ${Number(d.date.slice(8))}`, d.date === today ? h('span', { class: 'visually-hidden' }, ' (today)') : ''),
      d.lessons.length ? lessonList(d.lessons) : h('p', { class: 'muted' }, 'No lessons'))));
  }

  function month(res) {
    const first = res.days[0]?.date || date;
    const lead = (new Date(`${first}T00:00:00Z`).getUTCDay() + 6) % 7;
    const cells = [...Array(lead).fill(null), ...res.days];
    while (cells.length % 7) cells.push(null);
    const rows = [];
    for (let i = 0; i < cells.length; i += 7) {
      rows.push(h('tr', {}, ...cells.slice(i, i + 7).map((d) => (d
        ? h('td', { class: d.date === today ? 'today' : '' }, h('div', { class: 'date' }, Number(d.date.slice(8))), d.lessons.length ? lessonList(d.lessons) : '')
        : h('td', { class: 'other' })))));
    }
    return h('div', { class: 'table-wrap' }, h('table', { class: 'month', 'data-from': res.from },
      h('caption', { class: 'visually-hidden' }, heading(res)),
      h('thead', {}, h('tr', {}, ...dayNames.map((n) => h('th', { scope: 'col' }, n)))),
      h('tbody', {}, ...rows)));
  }

  function heading(res) {
    const d = new Date(`${res.from}T12:00:00Z`);
    if (view === 'month') return d.toLocaleDateString('en-CA', { month: 'long', year: 'numeric', timeZone: 'UTC' });
    const to = new Date(`${res.to}T12:00:00Z`);
    const o = { month: 'short', day: 'numeric', timeZone: 'UTC' };
    return `${d.toLocaleDateString('en-CA', o)} – ${to.toLocaleDateString('en-CA', { ...o, year: 'numeric' })} (${res.zone})`;
  }

  load();
  return { reload: load };
}
