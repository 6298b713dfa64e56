// Sign in, create an account, or paste an API key (single-user embedded installs: the
// key `pictor serve` printed on its first start).

import { auth } from '../api.js';
import { h, field, formCard, replace } from '../ui.js';

function passwordForm({ legend, submitLabel, autocomplete, action }) {
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'email' });
  const password = h('input', { type: 'password', name: 'password', required: true, minlength: 8, autocomplete });
  return formCard({ title: legend, submitLabel, onSubmit: () => action(email.value, password.value) },
    field('Email', email),
    field('Password', password, autocomplete === 'new-password' ? '8 characters or more' : null));
}

function keyForm() {
  const key = h('input', { type: 'password', name: 'api_key', required: true, autocomplete: 'off', spellcheck: false, placeholder: 'psk_…' });
  return formCard({ title: 'Use an API key', submitLabel: 'Use this key', onSubmit: () => auth.useKey(key.value) },
    field('API key', key, 'The key pictor printed on its first start, or one made under /v1/me/keys.'));
}

export function render(root) {
  replace(root,
    h('h1', {}, 'Welcome to pictor studio'),
    h('p', { class: 'intro' }, 'Remove backgrounds, erase, make logos, localize ads, generate images — sign in to start.'),
    h('div', { class: 'sign-in-grid' },
      passwordForm({ legend: 'Sign in', submitLabel: 'Sign in', autocomplete: 'current-password', action: (e, p) => auth.login(e, p) }),
      passwordForm({ legend: 'Create an account', submitLabel: 'Create account', autocomplete: 'new-password', action: (e, p) => auth.register(e, p) }),
      keyForm()));
}
