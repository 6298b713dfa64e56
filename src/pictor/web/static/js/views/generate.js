// Generate images from words, or edit your images with words (and an optional mask),
// through the cloud providers the server has set up (GET /ready lists them).
// Job kinds `generate` and `edit`.

import { createJob, jobCard, jobResults } from '../jobs.js';
import { uploadPicker } from '../upload.js';
import { h, field, formCard, select, replace, viewFrame, viewAfterLoading, uid } from '../ui.js';
import { problemBox, readyEngines, extensionFor } from '../results.js';

const PROVIDERS = [['gemini', 'Gemini (Google)'], ['openai', 'OpenAI-compatible'], ['replicate', 'Replicate']];
const SHAPES = [
  ['', 'The provider’s default'],
  ['1:1', '1:1 — square'], ['4:5', '4:5 — portrait'], ['9:16', '9:16 — tall'],
  ['16:9', '16:9 — wide'], ['2:3', '2:3 — portrait'], ['3:2', '3:2 — landscape'],
  ['3:4', '3:4 — portrait'], ['4:3', '4:3 — landscape'], ['5:4', '5:4 — landscape'],
  ['21:9', '21:9 — ultra-wide'], ['custom', 'Exact size in pixels…'],
];
const RESOLUTIONS = [['', 'The provider’s default'], ['1K', '1K'], ['2K', '2K'], ['4K', '4K']];
const MAX_EDIT_IMAGES = 16;

/** The provider choice, from the engines GET /ready lists (configured ones first). */
function providerField(engines) {
  const state = (id) => engines[`generate:${id}`];
  const ready = PROVIDERS.filter(([id]) => state(id) && state(id).available);
  const others = PROVIDERS.filter(([id]) => !ready.some(([r]) => r === id));
  const options = [['', ready.length ? `The server’s default (${ready[0][1]})` : 'The server’s default'],
    ...ready, ...others.map(([id, label]) => [id, `${label} (not set up on this server)`])];
  const input = select(options, { value: '', name: 'provider' });
  const known = Object.keys(engines).some((k) => k.startsWith('generate:'));
  let notice = null;
  if (known && !ready.length) {
    const needs = PROVIDERS.map(([id]) => state(id)).filter(Boolean).map((s) => s.detail).join('; ');
    notice = h('p', { class: 'notice', role: 'note' },
      `No image provider is set up on this server yet (${needs}). You can still send the form: pictor will say what is missing.`);
  }
  const hint = ready.length ? `Set up here: ${ready.map(([, label]) => label).join(', ')}.` : null;
  return { input, notice, element: field('Provider', input, hint) };
}

function shapeFields() {
  const shape = select(SHAPES, { value: '', name: 'aspect_ratio' });
  const width = h('input', { type: 'number', name: 'width', min: 64, max: 8192, step: 1, inputmode: 'numeric' });
  const height = h('input', { type: 'number', name: 'height', min: 64, max: 8192, step: 1, inputmode: 'numeric' });
  const pair = h('div', { class: 'size-pair', hidden: true },
    field('Width (px)', width), field('Height (px)', height));
  shape.addEventListener('change', () => {
    pair.hidden = shape.value !== 'custom';
    width.required = !pair.hidden;
    height.required = !pair.hidden;
  });
  const element = h('div', {}, field('Shape', shape, 'An aspect ratio, or an exact size (Gemini gets the nearest ratio).'), pair);
  element.params = () => {
    if (shape.value === 'custom') return { size: `${width.value}x${height.value}` };
    return shape.value ? { aspect_ratio: shape.value } : {};
  };
  return element;
}

function resultView(job, card) {
  const result = job.result || {};
  const prompt = (job.params && job.params.prompt) || '';
  const short = prompt.length > 80 ? `${prompt.slice(0, 79)}…` : prompt;
  const verb = job.kind === 'edit' ? 'Edited' : 'Generated';
  const made = [result.engine || job.engine,
    result.provider ? `provider ${result.provider}` : null, result.model ? `model ${result.model}` : null]
    .filter(Boolean).join(' · ');
  const figures = job.outputs.filter((o) => o.url).map((output, index) => h('figure', { class: 'output generate-output' },
    h('img', { src: output.url, alt: `${verb} image ${index + 1} for “${short}”`, class: 'checker' }),
    h('figcaption', {},
      h('span', { class: 'engine' }, `${output.width}×${output.height} px, made by ${output.engine || made}`),
      h('a', { href: output.url, download: '', class: 'button-link small' },
        `Download image ${index + 1} (${extensionFor(output.content_type).toUpperCase()})`))));
  replace(card.result,
    h('p', { class: 'generate-made-by' }, h('strong', {}, 'Made by '), made),
    result.revised_prompt ? h('p', { class: 'hint' }, `The provider rewrote the prompt as: ${result.revised_prompt}`) : null,
    result.provider_text ? h('p', { class: 'hint' }, `The provider said: ${result.provider_text}`) : null,
    h('div', { class: 'outputs' }, figures));
}

function modeChoice(onChange) {
  const name = uid('mode');
  const radio = (value, label, checked) => {
    const input = h('input', { type: 'radio', name, value, id: uid('mode'), checked });
    input.addEventListener('change', () => onChange(value));
    return h('label', { for: input.id }, input, label);
  };
  return h('fieldset', { class: 'mode-choice' },
    h('legend', {}, 'What to do'),
    radio('generate', 'Create a new image from words', true),
    radio('edit', 'Edit my images with words', false));
}

/** The images (1–16) and the optional mask of an edit; `.input()` → the job's input. */
function editInputs() {
  const images = uploadPicker({ label: 'images to edit', multiple: true });
  const mask = uploadPicker({ label: 'mask', multiple: false, paste: false });
  const box = h('fieldset', { class: 'edit-inputs', hidden: true },
    h('legend', {}, 'Images to edit'),
    h('p', { class: 'hint' }, `1 to ${MAX_EDIT_IMAGES} images; the provider sees them all with your words.`),
    images,
    h('h3', { class: 'mask-heading' }, 'Mask (optional)'),
    h('p', { class: 'hint' }, 'Same size as the first image: white (or transparent) marks what to change.'),
    mask);
  box.chosen = () => images.uploads.length > 0;
  box.hasMask = () => mask.uploads.length > 0;
  box.input = () => [...images.uploads, ...mask.uploads].map((a) => ({ upload_id: a.id }));
  box.dispose = () => { images.dispose(); mask.dispose(); };
  return box;
}

/** Prompt and options; `.params()` → the job's params (empty choices left out). */
function promptFields(engines) {
  const provider = providerField(engines);
  const prompt = h('textarea', { name: 'prompt', rows: 4, required: true, maxlength: 4000 });
  const negative = h('textarea', { name: 'negative_prompt', rows: 2, maxlength: 4000 });
  const shape = shapeFields();
  const resolution = select(RESOLUTIONS, { value: '', name: 'resolution' });
  const count = h('input', { type: 'number', name: 'n', min: 1, max: 4, value: 1, required: true });
  const model = h('input', { type: 'text', name: 'model', maxlength: 200, spellcheck: false });
  const seed = h('input', { type: 'number', name: 'seed', min: 0, max: 4294967295, step: 1, inputmode: 'numeric' });
  const elements = [
    field('What to make', prompt, 'Up to 4000 characters. For an edit: what to change.'),
    field('What to avoid (optional)', negative),
    provider.notice, provider.element,
    shape,
    field('Resolution', resolution),
    field('Number of images', count, '1 to 4; 4 credits per job.'),
    h('details', { class: 'more-options' },
      h('summary', {}, 'More options'),
      field('Model (optional)', model, 'The provider’s model; empty: the server’s default. Replicate: owner/name.'),
      field('Seed (optional)', seed, 'Where the provider takes one: the same seed repeats a result.')),
  ];
  const params = () => {
    const out = { prompt: prompt.value, n: Number(count.value), ...shape.params() };
    if (negative.value.trim()) out.negative_prompt = negative.value;
    if (provider.input.value) out.provider = provider.input.value;
    if (resolution.value) out.resolution = resolution.value;
    if (model.value.trim()) out.model = model.value.trim();
    if (seed.value !== '') out.seed = Number(seed.value);
    return out;
  };
  return { elements, params };
}

function generateForm(engines, onSubmit) {
  const edit = editInputs();
  const fields = promptFields(engines);
  let mode = 'generate';
  const body = () => {
    const out = { kind: mode, input: [], params: fields.params() };
    if (mode === 'edit') {
      if (!edit.chosen()) throw new Error('Choose at least one image to edit.');
      out.input = edit.input();
      if (edit.hasMask()) out.params.last_input_is_mask = true;
    }
    return out;
  };
  const form = formCard({ title: 'Describe the image', className: 'generate-form', submitLabel: 'Generate',
    showError: problemBox, onSubmit: () => onSubmit(body()) },
    modeChoice((value) => {
      mode = value;
      edit.hidden = mode !== 'edit';
      form.button.textContent = mode === 'edit' ? 'Edit' : 'Generate';
    }),
    edit, ...fields.elements);
  form.dispose = edit.dispose;
  return form;
}

/** The view once the engines are known; returns its dispose function. */
async function build(root, signal) {
  const engines = await readyEngines();
  if (signal.aborted) return () => {};
  const results = jobResults({ title: 'Results', className: 'generate-results', emptyText: 'Your images appear here.' });
  const form = generateForm(engines, async (body) => {
    const job = await createJob(body);
    const prompt = body.params.prompt;
    results.add(jobCard(job, {
      title: `${body.kind === 'edit' ? 'Edit' : 'Image'}: ${prompt.length > 60 ? `${prompt.slice(0, 59)}…` : prompt}`,
      signal,
      onFinal: (finished, target) => resultView(finished, target),
    }));
  });
  replace(root, ...viewFrame('Generate & edit',
    'Make an image from a description, or change your own images with words, through the image provider this server uses.',
    h('div', { class: 'generate-layout' }, form, results)));
  return form.dispose;
}

export function render(root) {
  return viewAfterLoading(root, 'Generate & edit', 'Loading…', (signal) => build(root, signal));
}
