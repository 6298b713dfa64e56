// Sign in, create an account, or paste an API key (single-user embedded installs: the
// key `pictor serve` printed on its first start).

import { auth } from '../api.js';
import { h, field, errorBox, replace, uid } from '../ui.js';

function passwordForm({ legend, submitLabel, autocomplete, action }) {
  const email = h('input', { type: 'email', name: 'email', required: true, autocomplete: 'email' });
  const password = h('input', { type: 'password', name: 'password', required: true, minlength: 8, autocomplete });
  const problem = h('div', { class: 'form-problem' });
  const button = h('button', { type: 'submit' }, submitLabel);
  const headingId = uid('form');
  const form = h('form', { class: 'card', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, legend),
    field('Email', email),
    field('Password', password, autocomplete === 'new-password' ? '8 characters or more' : null),
    problem, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    replace(problem);
    try {
      await action(email.value, password.value);
    } catch (error) {
      replace(problem, errorBox(error));
      button.disabled = false;
    }
  });
  return form;
}

function keyForm() {
  const key = h('input', { type: 'password', name: 'api_key', required: true, autocomplete: 'off', spellcheck: false, placeholder: 'psk_…' });
  const problem = h('div', { class: 'form-problem' });
  const button = h('button', { type: 'submit' }, 'Use this key');
  const headingId = uid('form');
  const form = h('form', { class: 'card', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, 'Use an API key'),
    field('API key', key, 'The key pictor printed on its first start, or one made under /v1/me/keys.'),
    problem, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    replace(problem);
    try {
      await auth.useKey(key.value);
    } catch (error) {
      replace(problem, errorBox(error));
      button.disabled = false;
    }
  });
  return form;
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
