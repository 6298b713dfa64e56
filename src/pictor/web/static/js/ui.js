// Small DOM helpers shared by every view. No framework: elements built with h().

/**
 * h('button', {type: 'button', onclick: fn, class: 'x'}, 'Label', child, ...)
 * Attributes starting with "on" are listeners; `dataset` and `style` objects are merged;
 * false/null/undefined attributes and children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset' || name === 'style') {
      Object.assign(el[name], value);
    } else if (name === 'class') {
      el.className = value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else if (name in el && typeof value !== 'string') {
      el[name] = value;
    } else {
      el.setAttribute(name, value);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let fieldCounter = 0;
/** A unique id for label/input pairs. */
export function uid(prefix = 'f') {
  fieldCounter += 1;
  return `${prefix}-${fieldCounter}`;
}

/** A labelled form field: <div class="field"><label for=…>label</label>input hint</div>. */
export function field(label, input, hint) {
  if (!input.id) input.id = uid('field');
  const parts = [h('label', { for: input.id }, label), input];
  if (hint) {
    const hintEl = h('p', { class: 'hint', id: `${input.id}-hint` }, hint);
    input.setAttribute('aria-describedby', hintEl.id);
    parts.push(hintEl);
  }
  return h('div', { class: 'field' }, parts);
}

/** A <select> from [[value, label], ...] (or plain values). */
export function select(options, { value, name, required } = {}) {
  const el = h('select', { name, required });
  for (const option of options) {
    const [val, label] = Array.isArray(option) ? option : [option, option];
    el.append(h('option', { value: val, selected: val === value }, label));
  }
  return el;
}

/** A radio button with its label: <span class="choice"><input type=radio> <label></span>. */
export function radio(name, value, label, checked) {
  const input = h('input', { type: 'radio', name, value, checked, id: uid('opt') });
  return h('span', { class: 'choice' }, input, h('label', { for: input.id }, label));
}

/**
 * Submitting `form` runs `action()` with `button` disabled; an error it throws (a check of
 * the form's own, or the API's answer) is shown in `problem` through `showError`, except
 * an AbortError (the view was left). Then `afterSubmit()` sets the button again (default:
 * enabled).
 */
export function submitForm(form, { button, problem, showError = errorBox, afterSubmit }, action) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(problem);
    button.disabled = true;
    try {
      await action();
    } catch (error) {
      if (!error || error.name !== 'AbortError') replace(problem, showError(error));
    } finally {
      if (afterSubmit) afterSubmit();
      else button.disabled = false;
    }
  });
}

/**
 * A form in a card, named by its <h2> title: the fields, then a problem box and the
 * submit button (`form.button`). Submitting runs `onSubmit()` as submitForm does.
 */
export function formCard({ title, className, submitLabel, showError, onSubmit }, ...fields) {
  const headingId = uid('form');
  const problem = h('div', { class: 'form-problem' });
  const button = h('button', { type: 'submit' }, submitLabel);
  const form = h('form', { class: className ? `card ${className}` : 'card', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, title), ...fields, problem, button);
  form.button = button;
  submitForm(form, { button, problem, showError }, onSubmit);
  return form;
}

/**
 * A view that needs data first: `loading` shows under the title until `build(signal)` has
 * drawn the view, or its error does (unless the view was left). Returns the view's
 * cleanup: it aborts `signal` and calls the dispose function `build` resolved with.
 */
export function viewAfterLoading(root, title, loading, build) {
  const controller = new AbortController();
  let dispose = () => {};
  replace(root, ...viewFrame(title, loading));
  build(controller.signal).then((done) => { dispose = done; }).catch((error) => {
    if (!controller.signal.aborted) replace(root, ...viewFrame(title, null, errorBox(error)));
  });
  return () => {
    controller.abort();
    dispose();
  };
}

/** A transient message for everyone (screen readers too). */
export function toast(message, { kind = 'info', timeoutMs = 5000 } = {}) {
  const box = document.getElementById('toasts');
  const el = h('p', { class: `toast toast-${kind}` }, message);
  box.append(el);
  setTimeout(() => el.remove(), timeoutMs);
}

/** An error box with the API's message (role=alert so it is announced). */
export function errorBox(error) {
  const code = error && error.code ? ` (${error.code})` : '';
  const message = error && error.message ? error.message : String(error);
  return h('p', { class: 'error', role: 'alert' }, `${message}${code}`);
}

/** Replace the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A page section with a heading, the standard frame of a view. */
export function viewFrame(title, intro, ...children) {
  return [
    h('h1', {}, title),
    intro ? h('p', { class: 'intro' }, intro) : null,
    ...children,
  ];
}

/** Human-readable bytes. */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
