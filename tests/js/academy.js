// A small academy written through the SDK as the superuser, the way the
// owner would through the admin UI: two families, two public teachers and a
// hidden one, an admin, students (one soft deleted), lessons and plans.
import { PASSWORD, startServer } from './server.js';

const pbDate = (d) => d.toISOString().replace('T', ' ');

/** inAWeek is a PocketBase date string a week from now, plus hours. */
export const inAWeek = (hours = 0) => {
  const d = new Date(Date.now() + 7 * 24 * 3600_000 + hours * 3600_000);
  d.setUTCMinutes(0, 0, 0);
  return pbDate(d);
};

/**
 * slot is a 30-minute lesson on a weekday (0 = Sunday) at hh:00 UTC, the
 * academy's zone here: the first such day at least a week ahead, plus
 * `week` weeks. Lessons must sit inside the teacher's weekly windows.
 */
export function slot(weekday, hh, week = 0) {
  const d = new Date(Date.now() + 7 * 24 * 3600_000);
  d.setUTCHours(hh, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() + ((weekday - d.getUTCDay() + 7) % 7) + 7 * week);
  return { start: pbDate(d), end: pbDate(new Date(d.getTime() + 30 * 60_000)) };
}

// The teachers' weekly windows (academy time = UTC) lessons are put in.
export const MONDAY = 1;
export const WEDNESDAY = 3;

async function account(su, email, name, role) {
  return su.collection('users').create({
    email,
    name,
    role,
    password: PASSWORD,
    passwordConfirm: PASSWORD,
    verified: true,
  });
}

async function signIn(server, email) {
  const pb = server.client();
  await pb.collection('users').authWithPassword(email, PASSWORD);
  return pb;
}

/**
 * loadAcademy seeds the server and returns { ids, as } where `as` holds one
 * signed-in client per role (and `as.anonymous`).
 */
export async function loadAcademy(server) {
  const su = await server.superuser();
  const c = (name) => su.collection(name);

  const admin = await account(su, 'admin@academy.test', 'Ada Admin', 'admin');
  const parentA = await account(su, 'parent.a@academy.test', 'Alice Anders', 'parent');
  const parentB = await account(su, 'parent.b@academy.test', 'Bob Brown', 'parent');
  const teacherXUser = await account(su, 'teacher.x@academy.test', 'Xavier Xu', 'teacher');
  const teacherYUser = await account(su, 'teacher.y@academy.test', 'Yara Young', 'teacher');
  const hiddenUser = await account(su, 'teacher.h@academy.test', 'Hana Hidden', 'teacher');

  const piano = await c('instruments').create({ name: 'Piano', min_age: 5, active: true });
  const violin = await c('instruments').create({ name: 'Violin', min_age: 4, active: true });
  const theremin = await c('instruments').create({ name: 'Theremin', min_age: 10, active: false });

  const teacher = (user, display_name, instruments, isPublic) =>
    c('teachers').create({
      user: user.id,
      display_name,
      instruments,
      lesson_lengths: ['30', '45'],
      capacity: 10,
      levels: ['beginner'],
      public: isPublic,
      active: true,
    });
  const teacherX = await teacher(teacherXUser, 'Xavier Xu', [piano.id], true);
  const teacherY = await teacher(teacherYUser, 'Yara Young', [violin.id], true);
  const teacherHidden = await teacher(hiddenUser, 'Hana Hidden', [violin.id], false);
  await c('availability').create({ teacher: teacherX.id, weekday: MONDAY, start_time: '15:00', end_time: '19:00' });
  await c('availability').create({ teacher: teacherY.id, weekday: WEDNESDAY, start_time: '10:00', end_time: '14:00' });

  const student = (parent, first_name, extra = {}) =>
    c('students').create({ parent: parent.id, first_name, last_name: 'Family', status: 'active', ...extra });
  const studentA1 = await student(parentA, 'Amy', { instruments: [piano.id], preferred_teacher: teacherX.id });
  const studentA2 = await student(parentA, 'Andy');
  const studentADeleted = await student(parentA, 'Old', { status: 'withdrawn', deleted: inAWeek(-24 * 30) });
  const studentB1 = await student(parentB, 'Ben', { instruments: [violin.id] });

  const lessonA1 = await c('lessons').create({
    teacher: teacherX.id, student: studentA1.id, instrument: piano.id,
    ...slot(MONDAY, 16), kind: 'regular', status: 'scheduled',
  });
  const lessonB1 = await c('lessons').create({
    teacher: teacherY.id, student: studentB1.id, instrument: violin.id,
    ...slot(WEDNESDAY, 11), kind: 'regular', status: 'scheduled',
  });

  const planPublic = await c('pricing_plans').create({
    name: 'Monthly 30', lesson_minutes: 30, lessons_per_period: 4, interval: 'month',
    amount: 14000, currency: 'cad', public: true, active: true,
  });
  const planHidden = await c('pricing_plans').create({
    name: 'Staff rate', lesson_minutes: 30, lessons_per_period: 4, interval: 'month',
    amount: 9000, currency: 'cad', public: false, active: true,
  });

  const as = {
    anonymous: server.client(),
    superuser: su,
    admin: await signIn(server, admin.email),
    parentA: await signIn(server, parentA.email),
    parentB: await signIn(server, parentB.email),
    teacherX: await signIn(server, teacherXUser.email),
    teacherY: await signIn(server, teacherYUser.email),
  };

  const ids = {
    admin: admin.id, parentA: parentA.id, parentB: parentB.id,
    teacherXUser: teacherXUser.id, teacherYUser: teacherYUser.id,
    piano: piano.id, violin: violin.id, theremin: theremin.id,
    teacherX: teacherX.id, teacherY: teacherY.id, teacherHidden: teacherHidden.id,
    studentA1: studentA1.id, studentA2: studentA2.id, studentADeleted: studentADeleted.id, studentB1: studentB1.id,
    lessonA1: lessonA1.id, lessonB1: lessonB1.id,
    planPublic: planPublic.id, planHidden: planHidden.id,
  };
  return { ids, as };
}

/** startAcademy starts a server (options as startServer's) and loads the academy into it. */
export async function startAcademy(options) {
  const server = await startServer(options);
  try {
    return { server, ...(await loadAcademy(server)) };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** idsOf returns the sorted ids of a list of records. */
export const idsOf = (records) => records.map((r) => r.id).sort();
