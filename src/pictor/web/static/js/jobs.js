// Jobs from the page: create one, follow its Server-Sent Events, show it as a card.

import { api, ApiError, authorization, creditsChanged } from './api.js';
import { h, errorBox, replace, uid } from './ui.js';

export const FINAL_EVENTS = new Set(['succeeded', 'failed', 'canceled']);

/** POST /v1/jobs: {kind, input, params} → the job object. */
export function createJob(body) {
  return api('/v1/jobs', { json: body });
}

export function getJob(jobId) {
  return api(`/v1/jobs/${encodeURIComponent(jobId)}`);
}

export function cancelJob(jobId) {
  return api(`/v1/jobs/${encodeURIComponent(jobId)}/cancel`, { method: 'POST' });
}

/** Parse one SSE block ("id: 3\nevent: progress\ndata: {...}") into {id, type, data}. */
function parseBlock(block) {
  let id = null;
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'id') id = value;
    else if (name === 'event') type = value;
    else if (name === 'data') data.push(value);
  }
  if (!data.length) return null;
  return { id, type, data: JSON.parse(data.join('\n')) };
}

/**
 * Read a Server-Sent Events stream of the API (GET `path`, read with fetch so the
 * Authorization header is sent, not a token in the URL). Calls onEvent({id, type, data})
 * for each event (data parsed as JSON), reconnects with Last-Event-ID when the stream
 * drops, and resolves with the first event for which `isFinal(event)` is true (a stream
 * without one is followed until `signal` aborts). A 4xx/5xx answer rejects with ApiError.
 */
export async function followEvents(path, onEvent, { signal, lastEventId = null, isFinal = () => false } = {}) {
  let lastId = lastEventId === null || lastEventId === undefined ? null : String(lastEventId);
  let failures = 0;
  for (;;) {
    const headers = { Accept: 'text/event-stream' };
    const token = authorization();
    if (token) headers.Authorization = token;
    if (lastId !== null) headers['Last-Event-ID'] = lastId;
    try {
      const response = await fetch(path, { headers, signal });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        const err = body && body.error;
        throw new ApiError(response.status, err ? err.code : `http_${response.status}`,
          err ? err.message : `pictor answered ${response.status}`, body);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const event = parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (!event) continue;
          if (event.id !== null) lastId = event.id;
          failures = 0;
          onEvent(event);
          if (isFinal(event)) return event;
        }
      }
    } catch (error) {
      if (error.name === 'AbortError' || (error instanceof ApiError && error.status >= 400)) throw error;
    }
    failures += 1;
    if (failures > 20) throw new ApiError(0, 'network_error', 'lost the connection to pictor');
    await new Promise((resolve) => { setTimeout(resolve, Math.min(500 * failures, 5000)); });
  }
}

/**
 * Follow a job's events (GET /v1/jobs/{id}/events). Calls onEvent(event) for each stored
 * and new event, reconnects with Last-Event-ID when the stream drops, and resolves with
 * the final event (succeeded, failed or canceled). Abort with `signal`.
 */
export async function followJob(jobId, onEvent, { signal } = {}) {
  const final = await followEvents(`/v1/jobs/${encodeURIComponent(jobId)}/events`,
    (event) => onEvent(event.data), { signal, isFinal: (event) => FINAL_EVENTS.has(event.type) });
  return final.data;
}

/** A Cancel button for a job: says "Canceling…" in `stage`, or shows why not in `problem`. */
export function cancelButton(jobId, { stage, problem, className }) {
  const button = h('button', { type: 'button', class: className }, 'Cancel');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await cancelJob(jobId);
      stage.textContent = 'Canceling…';
    } catch (error) {
      replace(problem, errorBox(error));
      button.disabled = false;
    }
  });
  return button;
}

/**
 * Shows a job's event on its progress `bar` and `stage` text: a progress event's share
 * and stage, `running` (the text for a running job), or that it is tried again.
 */
export function showProgress(event, { bar, stage, running }) {
  if (event.type === 'progress') {
    bar.value = event.data.progress;
    stage.textContent = event.data.stage || 'Working…';
  } else if (event.type === 'running') {
    stage.textContent = running;
  } else if (event.type === 'retrying' || event.type === 'requeued') {
    stage.textContent = 'Trying again…';
  }
}

const STATUS_TEXT = {
  queued: 'Waiting for a worker…',
  running: 'Running…',
  succeeded: 'Done',
  failed: 'Failed',
  canceled: 'Canceled',
};

/**
 * A card that follows one job: title, stage text, a progress bar, a Cancel button, the
 * API's error message when it fails. When the job ends, `onFinal(job)` gets the job
 * object (GET /v1/jobs/{id}: outputs with their URLs) and may render into `card.result`;
 * without `onFinal` the outputs are shown as images with download links. `onEvent(event,
 * card)` sees every event as it arrives (partial results of progress events).
 */
export function jobCard(job, { title, onFinal, onEvent, signal } = {}) {
  const stage = h('p', { class: 'job-stage' }, STATUS_TEXT[job.status] || job.status);
  const bar = h('progress', { max: 100, value: job.progress || 0, 'aria-label': `${title || job.kind} progress` });
  const problem = h('div', { class: 'job-problem' });
  const cancel = cancelButton(job.id, { stage, problem, className: 'secondary job-cancel' });
  const result = h('div', { class: 'job-result' });
  const card = h('section', { class: 'job-card', 'aria-label': title || job.kind, dataset: { jobId: job.id, status: job.status } },
    h('header', { class: 'job-head' }, h('h3', {}, title || job.kind), cancel),
    stage, bar, problem, result);
  card.result = result;

  const setStatus = (status) => { card.dataset.status = status; };
  card.done = followJob(job.id, (event) => {
    if (onEvent) onEvent(event, card);
    if (event.type === 'running') setStatus('running');
    showProgress(event, { bar, stage, running: STATUS_TEXT.running });
  }, { signal }).then(async (final) => {
    cancel.hidden = true;
    setStatus(final.type);
    creditsChanged();
    if (final.type === 'failed') {
      bar.hidden = true;
      stage.textContent = STATUS_TEXT.failed;
      replace(problem, errorBox(final.data.error || {}));
    } else if (final.type === 'canceled') {
      bar.hidden = true;
      stage.textContent = STATUS_TEXT.canceled;
    } else {
      bar.value = 100;
      stage.textContent = STATUS_TEXT.succeeded;
    }
    const finished = await getJob(job.id);
    if (final.type === 'succeeded') {
      if (onFinal) await onFinal(finished, card);
      else replace(result, outputGallery(finished));
    }
    return finished;
  }).catch((error) => {
    if (error.name === 'AbortError') return null;
    cancel.hidden = true;
    replace(problem, errorBox(error));
    return null;
  });
  return card;
}

/** The outputs of a finished job as images with download links. */
export function outputGallery(job, { altPrefix } = {}) {
  const items = job.outputs.filter((o) => o.url).map((output, index) => {
    const label = `${altPrefix || `${job.kind} result`} ${index + 1}`;
    const isImage = output.content_type.startsWith('image/');
    return h('figure', { class: 'output' },
      isImage ? h('img', { src: output.url, alt: label, loading: 'lazy', class: 'checker' }) : null,
      h('figcaption', {},
        h('a', { href: output.url, download: '', class: 'button-link' }, `Download ${isImage ? label : output.content_type}`),
        output.engine ? h('span', { class: 'engine' }, ` made by ${output.engine}`) : null));
  });
  return h('div', { class: 'outputs' }, items);
}

/**
 * A section of job cards under an <h2> title, newest first; `emptyText` shows until the
 * first card. `.add(card)` puts a card at the top.
 */
export function jobResults({ title, className, emptyText }) {
  const headingId = uid(className);
  const heading = h('h2', { id: headingId }, title);
  const empty = h('p', { class: 'hint' }, emptyText);
  const section = h('section', { class: className, 'aria-labelledby': headingId }, heading, empty);
  section.add = (card) => {
    empty.remove();
    heading.after(card);
  };
  return section;
}
