// The shell: navigation by URL hash (#/<view>[?query]), sign-in gate, credit balance.

import { api, auth } from './api.js';
import { h, errorBox, replace, toast } from './ui.js';
import { VIEWS, SIGN_IN } from './views/index.js';

const view = document.getElementById('view');
const nav = document.getElementById('nav');
const account = document.getElementById('account');
const balance = document.getElementById('credits-balance');
let cleanup = null;
let renderToken = 0;
// The first render leaves focus at the top (Tab goes skip link, navigation, then the
// view); later ones (a link, sign-in) move it to the new view for screen readers.
let moveFocus = false;

// Stripe Checkout sends the buyer back to /?checkout=success&session_id=cs_... (a plain
// query: no fragment goes through Stripe); the credits view reads it from the hash.
function checkoutReturn() {
  const query = new URLSearchParams(location.search);
  if (!query.has('checkout')) return;
  history.replaceState(null, '', `${location.pathname}#/credits?${query}`);
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, query] = raw.split('?');
  return { id: path || VIEWS[0].id, params: new URLSearchParams(query || '') };
}

export function navigate(id, params) {
  const query = params ? `?${new URLSearchParams(params)}` : '';
  location.hash = `#/${id}${query}`;
}

function buildNav() {
  replace(nav, h('ul', {}, VIEWS.map((v) => h('li', {},
    h('a', { href: `#/${v.id}`, dataset: { view: v.id } }, v.title)))));
}

function markCurrent(id) {
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.view === id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

export async function refreshCredits() {
  if (!auth.signedIn()) return;
  try {
    const credits = await api('/v1/credits');
    balance.textContent = String(credits.available);
  } catch {
    balance.textContent = '?';
  }
}

// Focus goes to the new view unless the user has put it somewhere else meanwhile (a
// link focused while the view was still loading keeps it, so Enter still works on it).
function focusMovedAway(focusAtStart) {
  const now = document.activeElement;
  return Boolean(now) && now !== document.body && now !== focusAtStart && !view.contains(now);
}

async function show() {
  const token = ++renderToken;
  const focusAtStart = document.activeElement;
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  const signedIn = auth.signedIn();
  nav.hidden = !signedIn;
  account.hidden = !signedIn;
  const { id, params } = parseHash();
  const entry = signedIn ? (VIEWS.find((v) => v.id === id) || VIEWS[0]) : SIGN_IN;
  markCurrent(entry.id);
  document.title = `${entry.title} · pictor studio`;
  const root = h('div', { class: `view view-${entry.id}`, dataset: { view: entry.id } });
  replace(view, root);
  try {
    const module = await entry.load();
    if (token !== renderToken) return;
    const viewCleanup = await module.render(root, { navigate, params, refreshCredits });
    // A render that resolved after the user moved on must not own the new view's cleanup.
    if (token !== renderToken) {
      if (typeof viewCleanup === 'function') viewCleanup();
      return;
    }
    cleanup = viewCleanup;
  } catch (error) {
    replace(root, h('h1', {}, entry.title), errorBox(error));
  }
  if (token === renderToken && moveFocus && !focusMovedAway(focusAtStart)) view.focus({ preventScroll: true });
  moveFocus = true;
}

// Signed out by the button, or by the server (a refused refresh: the session ended).
let signingOut = false;
document.getElementById('sign-out').addEventListener('click', async () => {
  signingOut = true;
  await auth.logout();
});

// The skip link must not go through the router (#view is not a view).
document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  view.focus();
});

window.addEventListener('hashchange', show);
window.addEventListener('pictor:credits', refreshCredits);
window.addEventListener('pictor:auth', (event) => {
  if (event.detail.signedIn) refreshCredits();
  else if (signingOut) toast('You are signed out.', { timeoutMs: 15000 });
  else toast('Your session has ended: please sign in again.', { kind: 'error', timeoutMs: 15000 });
  signingOut = false;
  show();
});

checkoutReturn();
buildNav();
refreshCredits();
show();
