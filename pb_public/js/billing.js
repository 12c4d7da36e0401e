// billing.js: /account/billing, the page the dunning mail links to. A signed-in
// parent opens Stripe's Billing Portal (POST /api/v1/billing/portal → its URL)
// to change the card and pay open invoices; offline (503) the page says how
// the academy is paid instead, with the family's balance.
import { pb, h, $, brand, fmtMoney, say, problem } from './app.js';
import { requireSignIn } from './session.js';

const app = $('#app');

async function start() {
  const user = await requireSignIn(app, { roles: ['parent'], title: 'Sign in to update your payment method' });
  const academy = await brand('Payment method');
  const status = h('div', { class: 'notice', role: 'status', 'aria-live': 'polite', id: 'billing-status' });
  const open = h('button', { type: 'button', id: 'open-portal' }, 'Open the secure payment page');
  const balance = h('p', { class: 'price', id: 'balance' });
  app.replaceChildren(
    h('p', {}, 'Your card is kept by Stripe, our payment provider, on its secure page: there you can change the card, pay an open invoice and download invoices. You come back here when you are done.'),
    h('div', { class: 'actions' }, open),
    status,
    h('h2', {}, 'Your balance'),
    balance,
    h('p', {}, h('a', { href: '/account/#money-h' }, 'Payments and receipts on your family page')),
  );
  open.addEventListener('click', async () => {
    open.disabled = true;
    say(status, 'Opening the secure payment page…');
    try {
      const res = await pb.send('/api/v1/billing/portal', { method: 'POST', body: { return_url: location.href } });
      location.assign(res.url);
    } catch (err) {
      open.disabled = false;
      if (err.status === 503) {
        say(status, `${academy?.name || 'The academy'} takes payments in person for now (cash, cheque or bank transfer), so there is no card to update online. Please contact the office to pay; your balance is below.`, 'warn');
      } else {
        say(status, problem(err), 'bad');
      }
    }
  });
  try {
    const ledger = await pb.send(`/api/v1/billing/families/${user.id}/ledger`, {});
    const b = ledger.balance?.[0] || { amount: 0, currency: academy?.currency || 'cad' };
    balance.textContent = b.amount > 0 ? `You owe ${fmtMoney(b.amount, b.currency)}` : b.amount < 0 ? `In credit: ${fmtMoney(-b.amount, b.currency)}` : 'Nothing owed';
  } catch (err) {
    balance.textContent = problem(err);
  }
}

start();
