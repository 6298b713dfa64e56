// The studio chat's thread: one <article> per message (the user's text and images, the
// assistant's reply, what it understood, its job's live progress, its images or the
// reason it failed). Used by views/studio.js.

import { api } from './api.js';
import { cancelButton, followJob, showProgress } from './jobs.js';
import { h, errorBox, replace } from './ui.js';

/** What a message was understood as, in plain words. */
export const INTENT_WORDS = {
  generate: 'making a new image',
  edit: 'editing the image',
  remove_background: 'removing the background',
  remove_watermark: 'removing a watermark',
  erase: 'erasing part of the image',
  localize: 'localizing an ad for other languages and markets',
  logo: 'designing a logo',
  answer: 'a question or a chat, answered without a job',
};

const RESULT_NAMES = {
  generate: 'Generated image',
  edit: 'Edited image',
  remove_background: 'Image without its background',
  remove_watermark: 'Image without the watermark',
  erase: 'Image with the part erased',
  localize: 'Localized ad',
  logo: 'Logo design',
};

const RASTER = new Set(['image/png', 'image/jpeg', 'image/webp']);
/** Images shown in the thread for one answer; every file stays listed for download. */
const SHOWN_IMAGES = 8;

const STAGE_TEXT = { queued: 'Waiting for a worker…', running: 'Working…' };

function understoodLine(message) {
  if (!message.intent) return null;
  const words = INTENT_WORDS[message.intent] || message.intent.replace(/_/g, ' ');
  const who = [];
  if (message.engine) who.push(message.engine === 'rules' ? 'rules engine' : message.engine);
  if (typeof message.confidence === 'number') who.push(`${Math.round(message.confidence * 100)} % sure`);
  return h('p', { class: 'msg-intent' }, `Understood as ${words}`, who.length ? ` (${who.join(', ')})` : '', '.');
}

function extension(contentType) {
  const sub = (contentType.split('/')[1] || 'file').split('+')[0];
  return sub === 'jpeg' ? 'jpg' : sub;
}

function outputsBlock(message) {
  const name = RESULT_NAMES[message.intent] || 'Result';
  const usable = message.outputs.filter((o) => o.url);
  const images = usable.filter((o) => RASTER.has(o.content_type));
  const shown = images.slice(0, SHOWN_IMAGES).map((output, index) => {
    const label = `${name} ${index + 1}${output.width ? `, ${output.width}×${output.height}` : ''}`;
    return h('figure', { class: 'msg-output' },
      h('a', { href: output.url, target: '_blank', rel: 'noopener' },
        h('img', { src: output.url, alt: label, loading: 'lazy', class: 'checker' })),
      h('figcaption', {}, h('a', { href: output.url, download: `${output.id}.${extension(output.content_type)}` }, `Download ${index + 1}`)));
  });
  const files = usable.map((output) => h('li', {},
    h('a', { href: output.url, download: `${output.id}.${extension(output.content_type)}` },
      `${extension(output.content_type).toUpperCase()}${output.width ? ` ${output.width}×${output.height}` : ''}`)));
  const more = images.length > shown.length ? `${images.length - shown.length} more images and ` : '';
  return [
    shown.length ? h('div', { class: 'msg-outputs' }, shown) : null,
    usable.length > shown.length
      ? h('details', { class: 'msg-files' },
        h('summary', {}, `All ${usable.length} files (${more}downloads; they are in your gallery too)`),
        h('ul', {}, files))
      : null,
  ];
}

/** Shows one image attached to a user message: a local preview, else its artifact's URL. */
function attachedImage(id, index, previews) {
  const figure = h('figure', { class: 'msg-attachment' });
  const alt = `Attached image ${index + 1}`;
  const local = previews.get(id);
  if (local) {
    figure.append(h('img', { src: local, alt, class: 'checker' }));
    return figure;
  }
  if (!previews.has(`lookup:${id}`)) {
    previews.set(`lookup:${id}`, api(`/v1/artifacts/${encodeURIComponent(id)}`).then((a) => a.url, () => null));
  }
  previews.get(`lookup:${id}`).then((url) => {
    if (url) figure.append(h('img', { src: url, alt, class: 'checker' }));
    else figure.append(h('p', { class: 'hint' }, `${alt} (deleted)`));
  });
  return figure;
}

function progressBlock(message) {
  const stage = h('p', { class: 'msg-stage' }, STAGE_TEXT.queued);
  const bar = h('progress', { max: 100, value: 0, 'aria-label': `Progress of ${INTENT_WORDS[message.intent] || 'the job'}` });
  const problem = h('div');
  const cancel = cancelButton(message.job_id, { stage, problem, className: 'secondary small' });
  const element = h('div', { class: 'msg-progress' }, stage, bar, h('div', { class: 'msg-progress-actions' }, cancel), problem);
  return { element, bar, stage, problem };
}

function userBody(message, previews) {
  return [
    h('p', { class: 'msg-who' }, 'You'),
    h('p', { class: 'msg-text' }, message.text),
    message.image_ids.length
      ? h('div', { class: 'msg-attachments' }, message.image_ids.map((id, i) => attachedImage(id, i, previews)))
      : null,
  ];
}

function assistantBody(entry) {
  const { message } = entry;
  const parts = [h('p', { class: 'msg-who' }, 'pictor'), h('p', { class: 'msg-reply' }, message.reply || '…'), understoodLine(message)];
  if (message.status === 'processing' && message.job_id) {
    entry.progress = entry.progress || progressBlock(message);
    parts.push(entry.progress.element);
  } else if (message.status === 'done') {
    parts.push(...outputsBlock(message));
  } else if (message.status === 'failed' && message.error) {
    if (!(message.reply || '').includes(message.error.message)) {
      parts.push(h('p', { class: 'error msg-error' }, message.error.message));
    }
    parts.push(h('p', { class: 'msg-code' }, `Error code: ${message.error.code}`));
  }
  return parts;
}

/**
 * The thread: `thread.element` is the log; `upsert(message)` adds or updates a message
 * (an older change of a message, by `seq`, is ignored); `clear()`; `dispose()` stops
 * following jobs. `previews` maps artifact ids to local object URLs (images the user just
 * attached); `onEnded(message)` is called when a message seen processing ends.
 */
export class ChatThread {
  constructor({ previews, onEnded }) {
    this.previews = previews;
    this.onEnded = onEnded;
    this.entries = new Map(); // message id → {message, article, follower, progress}
    this.disposed = false;
    this.element = h('div', { class: 'studio-thread', role: 'log', 'aria-label': 'Messages', tabindex: '0' });
    this.empty = h('p', { class: 'studio-empty' },
      'Say what you would like, in your own words: "make a logo for Acme Bakery", or attach a photo and write "remove the background".');
    this.element.append(this.empty);
  }

  upsert(message) {
    let entry = this.entries.get(message.id);
    if (entry && entry.message.seq > message.seq) return;
    const ended = entry && entry.message.status === 'processing' && message.status !== 'processing';
    if (!entry) {
      this.empty.remove();
      const article = h('article', { class: `msg msg-${message.role}`, dataset: { messageId: message.id } });
      entry = { message, article, follower: null, progress: null };
      this.entries.set(message.id, entry);
      this.element.append(article);
    }
    entry.message = message;
    entry.article.dataset.status = message.status;
    if (message.status !== 'processing' && entry.follower) {
      entry.follower.abort();
      entry.follower = null;
      entry.progress = null;
    }
    replace(entry.article, message.role === 'user' ? userBody(message, this.previews) : assistantBody(entry));
    this.follow(entry);
    this.element.scrollTop = this.element.scrollHeight;
    if (ended && this.onEnded) this.onEnded(message);
  }

  /** A processing message's job: its progress from the job's events. */
  follow(entry) {
    const { message } = entry;
    if (this.disposed || entry.follower || message.status !== 'processing' || !message.job_id) return;
    const controller = new AbortController();
    entry.follower = controller;
    const { progress } = entry;
    const onEvent = (event) => showProgress(event, { ...progress, running: STAGE_TEXT.running });
    followJob(message.job_id, onEvent, { signal: controller.signal })
      .then((final) => {
        if (final.type === 'succeeded') progress.bar.value = 100;
        return this.untilEnded(message, controller.signal);
      })
      .catch((error) => {
        if (error.name !== 'AbortError') replace(progress.problem, errorBox(error));
      });
  }

  /**
   * The session's stream brings the message's end; when it is slower (a change made by
   * another API process reaches it at its next quiet interval), ask for the message.
   */
  async untilEnded(message, signal) {
    const path = `/v1/studio/sessions/${encodeURIComponent(message.session_id)}/messages/${encodeURIComponent(message.id)}`;
    const processing = () => this.entries.get(message.id)?.message.status === 'processing';
    for (let attempt = 1; attempt <= 30 && processing() && !signal.aborted; attempt += 1) {
      await new Promise((resolve) => { setTimeout(resolve, Math.min(250 * attempt, 2000)); });
      if (signal.aborted || !processing()) return;
      this.upsert(await api(path, { signal }));
    }
  }

  lastSeq() {
    return Math.max(0, ...[...this.entries.values()].map((e) => e.message.seq));
  }

  stopFollowing() {
    for (const entry of this.entries.values()) if (entry.follower) entry.follower.abort();
  }

  /** For good (the view is left): no job is followed any more. */
  dispose() {
    this.disposed = true;
    this.stopFollowing();
  }

  clear() {
    this.stopFollowing();
    this.entries.clear();
    replace(this.element, this.empty);
  }
}
