// Helpers the logo, localize and generate views share: saving a file under a chosen
// name, showing a job's partial results, and reading which engines the server has.

import { api } from './api.js';
import { jobCard } from './jobs.js';
import { h, errorBox } from './ui.js';

/** Save a Blob as a file named `filename` (an object URL clicked as a download link). */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * Download an API path that needs the Authorization header (GET /v1/…): fetched as a
 * blob through api() (token refresh included), then saved as `filename`.
 */
export async function saveFromApi(path, filename) {
  const response = await api(path, { raw: true });
  saveBlob(await response.blob(), filename);
}

/**
 * A job card whose result grows while the job runs: `renderer(card)` returns
 * `show(result, outputs, { final })`, called with the `result` each progress event carries
 * (logo variants, localize markets), then with the finished job's result and outputs
 * (`final: true`). Outputs have no download link until the job succeeds (their rows are
 * written then), so the partial result shows what was made; the links come with the
 * finished job. `card.show` is the renderer's function.
 */
export function liveResultCard(job, { title, signal, renderer }) {
  let finished = false;
  const onEvent = (event) => {
    if (finished || event.type !== 'progress' || !event.data || !event.data.result) return;
    try {
      card.show(event.data.result);
    } catch (error) {
      console.error('could not show the partial result', error);
    }
  };
  const card = jobCard(job, {
    title,
    signal,
    onEvent,
    onFinal: (done) => {
      finished = true;
      card.show(done.result, outputsById(done), { final: true });
    },
  });
  card.show = renderer(card);
  return card;
}

/** A map artifact id → job output (with its signed `url`). */
export function outputsById(job) {
  return new Map((job.outputs || []).map((output) => [output.id, output]));
}

/**
 * The engines of GET /ready, {"generate:gemini": {available, detail}, …}; the body is
 * read on a 503 too (engines are listed either way). Empty when the server is unreachable.
 */
export async function readyEngines() {
  try {
    const ready = await api('/ready');
    return ready.engines || {};
  } catch (error) {
    return (error && error.body && error.body.engines) || {};
  }
}

/** A file-name-safe slug of free text: "Golden Crust!" → "golden-crust". */
export function slug(text, fallback = 'file') {
  const cleaned = String(text).toLowerCase().normalize('NFKD').replace(/[^\w\s-]/g, '')
    .trim().replace(/[\s_-]+/g, '-');
  return cleaned.slice(0, 60) || fallback;
}

/** The extension for a content type. */
export function extensionFor(contentType) {
  const map = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp', 'image/svg+xml': 'svg', 'application/zip': 'zip' };
  return map[contentType] || 'bin';
}

/**
 * The API's error as a user reads it: errorBox (message and code), then every field
 * problem when the API listed more than one (`details` of a 422).
 */
export function problemBox(error) {
  const details = error && error.body && error.body.error && error.body.error.details;
  if (!Array.isArray(details) || details.length < 2) return errorBox(error);
  return h('div', { class: 'problem-list', role: 'alert' },
    h('p', { class: 'error' }, `${error.message} (${error.code})`),
    h('ul', {}, details.map((d) => h('li', { class: 'error' }, `${d.field}: ${d.message}`))));
}
