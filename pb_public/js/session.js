// session.js: sign-in through the SDK (pb.collection('users').authWithPassword)
// for the family and teacher pages, and the "signed in as" corner.
import { pb, h, $, field, showErrors, busy, clearErrors } from './app.js';

/**
 * requireSignIn resolves with the signed-in user record once someone with
 * one of roles is signed in, showing the sign-in form in mount until then.
 */
export function requireSignIn(mount, { roles, title }) {
  return new Promise((resolve) => {
    const done = (user) => { whoCorner(user); resolve(user); };
    const user = pb.authStore.isValid ? pb.authStore.record : null;
    if (user && roles.includes(user.role)) {
      // Refresh in the background: a revoked or expired session signs out.
      pb.collection('users').authRefresh().catch((err) => {
        if (err.status === 401 || err.status === 403 || err.status === 404) { pb.authStore.clear(); location.reload(); }
      });
      done(user);
      return;
    }
    pb.authStore.clear();
    mount.replaceChildren(signInForm(title, roles, done));
    $('input[name="identity"]', mount).focus();
  });
}

function signInForm(title, roles, done) {
  const status = h('p', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'card', novalidate: true },
    h('h2', {}, title),
    field('E-mail address', h('input', { name: 'identity', type: 'email', autocomplete: 'username', required: true })),
    field('Password', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const identity = form.identity.value.trim();
    const password = form.password.value;
    busy(form, async () => {
      try {
        const { record } = await pb.collection('users').authWithPassword(identity, password);
        if (!roles.includes(record.role)) {
          pb.authStore.clear();
          const where = record.role === 'teacher' ? ' Teachers use the teacher\'s page at /teacher/.'
            : record.role === 'parent' ? ' Families use their page at /account/.' : '';
          status.className = 'notice bad form-status';
          status.textContent = `This page is not for your account.${where}`;
          return;
        }
        done(record);
      } catch (err) {
        // A wrong e-mail or password is one 400 for both: say it once.
        if (err.status === 400 && !Object.keys(err.response?.data || {}).length) {
          status.className = 'notice bad form-status';
          status.textContent = 'The e-mail address or the password is not right.';
          form.password.focus();
        } else {
          showErrors(form, err, status);
        }
      }
    });
  });
  return form;
}

function whoCorner(user) {
  const corner = $('[data-who]');
  if (!corner) return;
  const out = h('button', { type: 'button', class: 'secondary', onclick: () => { pb.authStore.clear(); location.reload(); } }, 'Sign out');
  corner.replaceChildren(h('span', {}, `Signed in as ${user.name || user.email}`), out);
}
