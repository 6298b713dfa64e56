// Studio chat: conversations (sessions) of messages; each message is understood and
// answered by the assistant, whose images appear in the thread. Live changes come from
// the session's event stream (GET /v1/studio/sessions/{id}/events, resumed with
// Last-Event-ID), a running job's progress from the job's own stream.

import { api, uploadFile, creditsChanged } from '../api.js';
import { followEvents } from '../jobs.js';
import { h, field, errorBox, replace, viewFrame } from '../ui.js';
import { ChatThread } from '../studio-thread.js';

const ACCEPT = 'image/png,image/jpeg,image/webp,image/bmp';
const MAX_IMAGES = 16;
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function setHashSession(id) {
  const query = id ? `?session=${encodeURIComponent(id)}` : '';
  history.replaceState(null, '', `#/studio${query}`);
}

/** The images waiting to go with the next message: upload on choose/paste/drop. */
function attachments(previews, objectUrls) {
  const list = h('ul', { class: 'studio-attachments', 'aria-label': 'Images to send' });
  const problem = h('div', { class: 'studio-attach-problem' });
  const items = []; // {file, artifact, promise, li}
  const render = () => {
    replace(list, items.map((item) => item.li));
    list.hidden = !items.length;
    items.forEach((item, index) => { item.remove.setAttribute('aria-label', `Remove image ${index + 1}`); });
  };
  const add = (files) => {
    replace(problem);
    for (const file of files) {
      if (!(file.type.startsWith('image/') || file.type === '')) continue;
      if (items.length >= MAX_IMAGES) {
        replace(problem, errorBox({ message: `A message takes at most ${MAX_IMAGES} images.` }));
        break;
      }
      const preview = URL.createObjectURL(file);
      objectUrls.push(preview);
      const status = h('span', { class: 'hint' }, 'Uploading…');
      const item = { file, artifact: null, li: null };
      item.remove = h('button', {
        type: 'button', class: 'secondary small',
        onclick: () => { items.splice(items.indexOf(item), 1); render(); },
      }, 'Remove');
      item.li = h('li', {}, h('img', { src: preview, alt: `Image to send: ${file.name || 'pasted image'}`, class: 'thumb checker' }), status, item.remove);
      item.promise = uploadFile(file).then((artifact) => {
        item.artifact = artifact;
        previews.set(artifact.id, preview);
        status.textContent = 'Ready';
      }, (error) => {
        items.splice(items.indexOf(item), 1);
        render();
        problem.append(errorBox(error));
      });
      items.push(item);
    }
    render();
  };
  render();
  return {
    list, problem, add,
    /** Waits for the uploads; the ids of those that made it. */
    async ids() {
      await Promise.all(items.map((i) => i.promise));
      return items.filter((i) => i.artifact).map((i) => i.artifact.id);
    },
    clear() { items.length = 0; render(); replace(problem); },
  };
}

function composer({ onSend, attach }) {
  const text = h('textarea', { name: 'text', rows: 3, maxlength: 4000, required: true });
  const fileInput = h('input', { type: 'file', accept: ACCEPT, multiple: true, hidden: true });
  const attachButton = h('button', { type: 'button', class: 'secondary', onclick: () => fileInput.click() }, 'Attach images');
  const send = h('button', { type: 'submit' }, 'Send');
  const problem = h('div', { class: 'studio-send-problem' });
  const form = h('form', { class: 'studio-composer', 'aria-label': 'Send a message' },
    field('Message', text, 'Enter sends, Shift+Enter starts a new line. Attach images with the button, or paste or drop them here.'),
    attach.list, attach.problem,
    h('div', { class: 'studio-composer-actions' }, attachButton, fileInput, send),
    problem);
  fileInput.addEventListener('change', () => { attach.add([...fileInput.files]); fileInput.value = ''; });
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  text.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData ? event.clipboardData.files : [])];
    if (files.length) { event.preventDefault(); attach.add(files); }
  });
  form.addEventListener('dragover', (event) => { event.preventDefault(); form.classList.add('dragging'); });
  form.addEventListener('dragleave', () => form.classList.remove('dragging'));
  form.addEventListener('drop', (event) => {
    event.preventDefault();
    form.classList.remove('dragging');
    attach.add([...event.dataTransfer.files]);
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(problem);
    send.disabled = true;
    try {
      if (await onSend(text.value.trim(), problem)) text.value = '';
    } finally {
      send.disabled = false;
      text.focus();
    }
  });
  return form;
}

function sessionsPanel({ onPick, onNew }) {
  const list = h('ul', { class: 'studio-session-list' });
  const more = h('button', { type: 'button', class: 'secondary small', hidden: true }, 'More conversations');
  const problem = h('div');
  const panel = h('section', { class: 'studio-sessions', 'aria-labelledby': 'studio-sessions-title' },
    h('div', { class: 'studio-sessions-head' },
      h('h2', { id: 'studio-sessions-title' }, 'Conversations'),
      h('button', { type: 'button', class: 'small', onclick: onNew }, 'New conversation')),
    list, more, problem);
  const sessions = [];
  let cursor = null;
  let current = null;
  const item = (session) => h('li', {}, h('button', {
    type: 'button', class: 'studio-session', 'aria-current': session.id === current ? 'true' : null,
    dataset: { sessionId: session.id }, onclick: () => onPick(session),
  }, h('span', { class: 'studio-session-title' }, session.title || 'Untitled conversation'),
  h('span', { class: 'studio-session-date' }, dateFormat.format(new Date(session.updated_at)))));
  const render = () => {
    replace(list, sessions.length ? sessions.map(item) : h('li', { class: 'hint' }, 'No conversations yet.'));
  };
  const load = async () => {
    try {
      const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await api(`/v1/studio/sessions?limit=20${query}`);
      sessions.push(...page.data.filter((s) => !sessions.some((known) => known.id === s.id)));
      cursor = page.next_cursor;
      more.hidden = !page.has_more;
      render();
    } catch (error) {
      replace(problem, errorBox(error));
    }
  };
  more.addEventListener('click', load);
  panel.load = load;
  panel.select = (id) => { // in place: the button a user just chose keeps the focus
    current = id;
    for (const button of list.querySelectorAll('button.studio-session')) {
      if (button.dataset.sessionId === id) button.setAttribute('aria-current', 'true');
      else button.removeAttribute('aria-current');
    }
  };
  panel.put = (session) => {
    const index = sessions.findIndex((s) => s.id === session.id);
    if (index !== -1) sessions.splice(index, 1);
    sessions.unshift(session);
    render();
  };
  return panel;
}

/** The chat of the open conversation: its thread, its event stream, sending. */
class Chat {
  constructor(panel) {
    this.panel = panel;
    this.previews = new Map(); // artifact id → object URL of an image attached here
    this.objectUrls = [];
    this.session = null;
    this.stream = null;
    this.lastAttempt = null; // {signature, key}: the same message sent again keeps its key
    this.disposed = false;
    this.title = h('h2', { id: 'studio-chat-title' }, 'New conversation');
    this.problem = h('div');
    this.thread = new ChatThread({ previews: this.previews, onEnded: () => creditsChanged() });
    this.attach = attachments(this.previews, this.objectUrls);
  }

  /** The session's event stream from the last change the thread has seen. */
  follow(id) {
    if (this.stream) this.stream.abort();
    if (this.disposed) return;
    this.stream = new AbortController();
    replace(this.problem);
    followEvents(`/v1/studio/sessions/${encodeURIComponent(id)}/events`, (event) => {
      if (event.type === 'message') this.thread.upsert(event.data);
    }, { signal: this.stream.signal, lastEventId: this.thread.lastSeq() }).catch((error) => {
      if (error.name !== 'AbortError') replace(this.problem, errorBox(error));
    });
  }

  show(session) {
    if (this.disposed) return; // the address belongs to the view shown now
    this.session = session;
    this.panel.select(session ? session.id : null);
    setHashSession(session ? session.id : null);
    this.title.textContent = session ? (session.title || 'Untitled conversation') : 'New conversation';
  }

  /** Open a conversation (null: a new one, made when its first message is sent). */
  async open(picked) {
    if (this.stream) this.stream.abort();
    this.thread.clear();
    replace(this.problem);
    this.show(picked);
    if (!picked) return;
    try {
      const detail = await api(`/v1/studio/sessions/${encodeURIComponent(picked.id)}`);
      if (this.disposed || this.session !== picked) return;
      picked.title = detail.title;
      this.show(picked);
      detail.messages.forEach((m) => this.thread.upsert(m));
      this.follow(picked.id);
    } catch (error) {
      if (this.disposed || this.session !== picked) return;
      this.show(null);
      replace(this.problem, errorBox(error));
    }
  }

  /** Send a message (true when it was sent); errors go to `problem`. */
  async send(text, problem) {
    if (!text) {
      replace(problem, errorBox({ message: 'Write what you would like first (with images attached, say what to do with them).' }));
      return false;
    }
    try {
      const imageIds = await this.attach.ids();
      if (!this.session) {
        const created = await api('/v1/studio/sessions', { json: {} });
        this.panel.put(created);
        this.show(created);
        this.follow(created.id);
      }
      const { session } = this;
      const signature = JSON.stringify([session.id, text, imageIds]);
      if (!this.lastAttempt || this.lastAttempt.signature !== signature) this.lastAttempt = { signature, key: randomKey() };
      const turn = await api(`/v1/studio/sessions/${encodeURIComponent(session.id)}/messages`, {
        json: { text, image_ids: imageIds }, headers: { 'Idempotency-Key': this.lastAttempt.key },
      });
      this.lastAttempt = null;
      this.thread.upsert(turn.user_message);
      this.thread.upsert(turn.assistant_message);
      this.attach.clear();
      if (!session.title) { // an untitled session takes its first message's first 60 characters
        session.title = text.slice(0, 60);
        this.panel.put({ ...session, updated_at: new Date().toISOString() });
        this.show(session);
      }
      return true;
    } catch (error) {
      replace(problem, errorBox(error));
      return false;
    }
  }

  dispose() {
    this.disposed = true;
    if (this.stream) this.stream.abort();
    this.thread.dispose();
    for (const url of this.objectUrls) URL.revokeObjectURL(url);
  }
}

export function render(root, ctx) {
  let chat = null;
  const panel = sessionsPanel({ onPick: (s) => chat.open(s), onNew: () => chat.open(null) });
  chat = new Chat(panel);
  const form = composer({ onSend: (text, problem) => chat.send(text, problem), attach: chat.attach });
  replace(root, viewFrame('Studio chat',
    'Ask for image work in your own words. Each message becomes a job; its images appear in the conversation.',
    h('div', { class: 'studio-layout' },
      panel,
      h('section', { class: 'studio-chat', 'aria-labelledby': 'studio-chat-title' },
        chat.title, chat.problem, chat.thread.element, form))));
  // Not awaited: the shell takes the cleanup at once, whatever the network does.
  const wanted = ctx.params.get('session');
  panel.load().then(() => { if (wanted && !chat.disposed) chat.open({ id: wanted, title: '' }); });
  return () => chat.dispose();
}
