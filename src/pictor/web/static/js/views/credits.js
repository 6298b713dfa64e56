// Credits: the balance (available and reserved), the ledger, and credit packs bought
// through Stripe Checkout (POST /v1/billing/checkout, then the browser goes to the URL
// pictor returns; Stripe sends the buyer back to #/credits?checkout=success|cancel).

import { api } from '../api.js';
import { h, errorBox, replace, uid, viewFrame } from '../ui.js';

const ENTRY_NAMES = {
  grant: 'Sign-up grant',
  purchase: 'Purchase',
  reserve: 'Reserved for a job',
  charge: 'Charged for a job',
  release: 'Released after a job',
  refund: 'Taken back after a refund',
  adjustment: 'Adjustment by an admin',
};
const PURCHASE_WAIT_MS = 2000;
const PURCHASE_CHECKS = 30;

function money(amount, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

function when(iso) {
  const date = new Date(iso);
  return h('time', { datetime: iso }, date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'short' }));
}

function signed(n) {
  if (!n) return '0';
  return n > 0 ? `+${n}` : `−${Math.abs(n)}`;
}

// ---------------------------------------------------------------- balance

function balanceSection() {
  const available = h('dd', { id: 'credits-available' }, '…');
  const reserved = h('dd', { id: 'credits-reserved' }, '…');
  const problem = h('div');
  const section = h('section', { class: 'card credits-balance', 'aria-labelledby': 'credits-balance-title' },
    h('h2', { id: 'credits-balance-title' }, 'Your balance'),
    h('dl', { class: 'balance-figures' },
      h('div', {}, h('dt', {}, 'Available'), available),
      h('div', {}, h('dt', {}, 'Reserved by running jobs'), reserved)),
    problem);
  section.load = async () => {
    try {
      const credits = await api('/v1/credits');
      available.textContent = String(credits.available);
      reserved.textContent = String(credits.reserved);
      replace(problem);
    } catch (error) {
      replace(problem, errorBox(error));
    }
  };
  return section;
}

// ---------------------------------------------------------------- packs and checkout

// crypto.randomUUID() exists only in secure contexts; pictor on a private network may
// be plain http, where getRandomValues still works.
function randomKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function returnUrl(outcome) {
  // Stripe replaces {CHECKOUT_SESSION_ID}; app.js moves the query into #/credits?….
  const session = outcome === 'success' ? '&session_id={CHECKOUT_SESSION_ID}' : '';
  return `${location.origin}/?checkout=${outcome}${session}`;
}

function packCard(pack) {
  const titleId = uid('pack');
  const problem = h('div', { class: 'form-problem' });
  const button = h('button', { type: 'button', 'aria-describedby': titleId }, `Buy for ${money(pack.amount, pack.currency)}`);
  button.addEventListener('click', async () => {
    button.disabled = true;
    replace(problem, h('p', { class: 'hint', role: 'status' }, 'Opening Stripe Checkout…'));
    try {
      const session = await api('/v1/billing/checkout', {
        json: { pack: pack.name, success_url: returnUrl('success'), cancel_url: returnUrl('cancel') },
        headers: { 'Idempotency-Key': `web-${randomKey()}` },
      });
      location.assign(session.url);
    } catch (error) {
      replace(problem, errorBox(error));
      button.disabled = false;
    }
  });
  return h('li', { class: 'card pack' },
    h('h3', { id: titleId }, pack.label),
    h('p', { class: 'pack-price' }, `${pack.credits} credits · ${money(pack.amount, pack.currency)}`),
    button, problem);
}

async function loadPacks(list) {
  try {
    const { packs, available } = await api('/v1/billing/packs');
    if (!available) {
      replace(list, h('p', { class: 'notice' },
        'Buying credits is not set up on this server (no Stripe key). An admin can add credits to your account.'));
      return;
    }
    replace(list, h('ul', { class: 'pack-list' }, packs.map(packCard)));
  } catch (error) {
    replace(list, errorBox(error));
  }
}

// ---------------------------------------------------------------- back from Checkout

const PURCHASE_TEXT = {
  paid: (p) => `Payment received: ${p.credits} credits were added to your balance.`,
  processing: () => 'Payment received; Stripe is still confirming it. The credits are added as soon as it does.',
  open: () => 'Waiting for Stripe to confirm the payment…',
  failed: () => 'The payment failed; nothing was added. You can try again below.',
  expired: () => 'This checkout expired before it was paid; nothing was charged.',
};

/** Follow the purchase until Stripe's webhook settles it (or we stop asking). */
async function followPurchase(sessionId, box, { signal, onPaid }) {
  for (let check = 0; check < PURCHASE_CHECKS && !signal.aborted; check += 1) {
    let purchase;
    try {
      purchase = await api(`/v1/billing/purchases/${encodeURIComponent(sessionId)}`, { signal });
    } catch (error) {
      if (error.name !== 'AbortError') replace(box, errorBox(error));
      return;
    }
    const text = (PURCHASE_TEXT[purchase.status] || PURCHASE_TEXT.open)(purchase);
    replace(box, h('p', { class: `notice notice-${purchase.status}` }, text));
    if (purchase.status === 'paid') {
      onPaid();
      return;
    }
    if (purchase.status !== 'open' && purchase.status !== 'processing') return;
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, PURCHASE_WAIT_MS);
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }
}

function checkoutMessage(params, { signal, onPaid }) {
  const outcome = params.get('checkout');
  if (outcome === 'cancel') {
    return h('div', { role: 'status', class: 'checkout-result' },
      h('p', { class: 'notice' }, 'Checkout canceled: nothing was charged.'));
  }
  if (outcome !== 'success') return null;
  const box = h('div', { role: 'status', class: 'checkout-result' },
    h('p', { class: 'notice' }, 'Thank you! Checking your payment…'));
  const sessionId = params.get('session_id');
  if (sessionId && sessionId.startsWith('cs_')) followPurchase(sessionId, box, { signal, onPaid });
  else replace(box, h('p', { class: 'notice' }, 'Thank you! Your credits are added as soon as Stripe confirms the payment.'));
  return box;
}

// ---------------------------------------------------------------- ledger

function ledgerRow(entry) {
  const what = [ENTRY_NAMES[entry.type] || entry.type];
  if (entry.note) what.push(h('span', { class: 'ledger-note' }, ` — ${entry.note}`));
  const change = [h('span', {}, signed(entry.amount))];
  if (entry.reserved_delta) {
    const held = entry.reserved_delta > 0 ? `${entry.reserved_delta} held` : `${-entry.reserved_delta} no longer held`;
    change.push(h('span', { class: 'ledger-sub' }, held));
  }
  return h('tr', {},
    h('td', {}, h('span', {}, what), h('span', { class: 'ledger-sub' }, when(entry.created_at))),
    h('td', { class: 'num' }, change),
    h('td', { class: 'num' }, String(entry.balance_after)));
}

function ledgerSection() {
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show older entries');
  const problem = h('div');
  const empty = h('p', { class: 'hint', hidden: true }, 'No entries yet.');
  let cursor = null;
  const table = h('table', { class: 'ledger' },
    h('caption', { class: 'visually-hidden' }, 'Credit history, newest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Entry'),
      h('th', { scope: 'col', class: 'num' }, 'Credits'),
      h('th', { scope: 'col', class: 'num' }, 'Available after'))),
    body);
  const section = h('section', { class: 'credits-ledger', 'aria-labelledby': 'credits-ledger-title' },
    h('h2', { id: 'credits-ledger-title' }, 'History'),
    h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-labelledby': 'credits-ledger-title' }, table),
    empty, more, problem);
  async function page(reset) {
    more.disabled = true;
    try {
      const query = new URLSearchParams({ limit: '20' });
      if (!reset && cursor) query.set('cursor', cursor);
      const list = await api(`/v1/credits/ledger?${query}`);
      if (reset) body.replaceChildren();
      body.append(...list.data.map(ledgerRow));
      cursor = list.next_cursor;
      more.hidden = !list.has_more;
      empty.hidden = body.children.length > 0;
      replace(problem);
    } catch (error) {
      replace(problem, errorBox(error));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => page(false));
  section.load = () => page(true);
  return section;
}

// ---------------------------------------------------------------- the view

export function render(root, ctx) {
  const controller = new AbortController();
  const balance = balanceSection();
  const ledger = ledgerSection();
  const packs = h('div', { class: 'packs' }, h('p', { class: 'hint' }, 'Loading the credit packs…'));
  const refresh = () => {
    balance.load();
    ledger.load();
    ctx.refreshCredits();
  };
  const message = checkoutMessage(ctx.params, {
    signal: controller.signal,
    onPaid: refresh,
  });
  replace(root, ...viewFrame('Credits',
    'Every job costs credits: they are reserved when a job starts and charged when it succeeds (a failed or canceled job costs nothing).',
    message,
    balance,
    h('section', { class: 'credits-buy', 'aria-labelledby': 'credits-buy-title' },
      h('h2', { id: 'credits-buy-title' }, 'Buy credits'),
      h('p', { class: 'hint' }, 'You pay on Stripe’s secure page and come back here; pictor never sees your card.'),
      packs),
    ledger));
  balance.load();
  ledger.load();
  loadPacks(packs);
  return () => controller.abort();
}
