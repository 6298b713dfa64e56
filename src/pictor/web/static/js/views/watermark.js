// Remove watermark: 1 to 50 images, a known template (GET /v1/watermark-templates) or a
// box in a corner; one `remove_watermark` job for all of them, a grid of results with
// before/after and downloads (docs/api.md#remove_watermark-a-known-template-or-a-fixed-region).

import { api } from '../api.js';
import { h, field, radio, submitForm, uid, select, errorBox, replace, viewFrame } from '../ui.js';
import { createJob, jobCard } from '../jobs.js';
import { uploadPicker } from '../upload.js';
import { beforeAfter } from '../compare.js';
import { serverEngines, inpaintOptions, numberField } from '../engine-options.js';

const MAX_IMAGES = 50;
const CORNERS = [['bottom-right', 'Bottom right'], ['bottom-left', 'Bottom left'], ['top-right', 'Top right'], ['top-left', 'Top left']];

function templateGroup(templates) {
  const choice = select(templates.map((t) => [t.name, `${t.name}${t.builtin ? ' (built-in)' : ''} — ${t.corner.replace('-', ' ')}`]),
    { value: templates[0] && templates[0].name });
  const threshold = numberField('Detection score needed (0.05–1)', {
    value: 0.5, min: 0.05, max: 1, step: 0.05, hint: 'Lower finds fainter marks but may match what is not one; an image without the mark comes back unchanged.',
  });
  const element = h('div', { class: 'mode-group' },
    field('Watermark template', choice, 'Built-in ones, and the ones you registered through the API.'), threshold.element);
  return { element, params: () => ({ template: choice.value, threshold: Number(threshold.input.value) || 0.5 }) };
}

function regionGroup() {
  const corner = select(CORNERS, { value: 'bottom-right' });
  const units = select([['percent', '% of the image'], ['px', 'pixels']], { value: 'percent' });
  const width = numberField('Box width', { value: 20, min: 0, max: 100000, step: 'any' });
  const height = numberField('Box height', { value: 8, min: 0, max: 100000, step: 'any' });
  const mx = numberField('Margin from the side', { value: 0, min: 0, max: 100000, step: 'any' });
  const my = numberField('Margin from the top or bottom', { value: 0, min: 0, max: 100000, step: 'any' });
  const element = h('div', { class: 'mode-group' },
    field('Corner', corner), field('Sizes in', units),
    h('div', { class: 'region-fields' }, width.element, height.element, mx.element, my.element));
  const params = () => ({
    region: {
      corner: corner.value, units: units.value,
      width: Number(width.input.value), height: Number(height.input.value),
      margin_x: Number(mx.input.value) || 0, margin_y: Number(my.input.value) || 0,
    },
  });
  return { element, params };
}

function optionsForm(engines, templates) {
  const modeName = uid('mode');
  const template = templateGroup(templates);
  const region = regionGroup();
  const modes = h('fieldset', { class: 'options-group' }, h('legend', {}, 'What to remove'),
    radio(modeName, 'template', 'A known watermark (template): found and removed exactly', templates.length > 0),
    radio(modeName, 'region', 'A box in a corner: filled in on every image', templates.length === 0));
  if (!templates.length) modes.querySelector('input[value=template]').disabled = true;
  const mode = () => modes.querySelector('input:checked').value;
  const sync = () => {
    template.element.hidden = mode() !== 'template';
    region.element.hidden = mode() !== 'region';
  };
  modes.addEventListener('change', sync);
  sync();
  const fill = inpaintOptions(engines, { dilateMax: 100 });
  const element = h('div', {}, modes, template.element, region.element, fill.element);
  const params = () => ({ ...(mode() === 'template' ? template.params() : region.params()), ...fill.params() });
  return { element, params };
}

function found(image) {
  if (image.watermark_found === null || image.watermark_found === undefined) return 'The box was filled in.';
  if (image.watermark_found) return `Watermark found (score ${image.score}) and removed.`;
  return 'No watermark found: this image is unchanged.';
}

function resultsGrid(uploads, finished) {
  const byId = new Map(finished.outputs.map((o) => [o.id, o]));
  const images = (finished.result && finished.result.images) || finished.outputs.map((o) => ({ output: o.id }));
  return h('ul', { class: 'wm-results' }, images.map((image, index) => {
    const output = byId.get(image.output);
    const upload = uploads[index];
    if (!output || !upload) return null;
    const name = upload.filename || `image ${index + 1}`;
    return h('li', { class: 'wm-result' },
      beforeAfter({
        original: upload, output, before: upload.preview || upload.url, name: `${index + 1}: ${name}`,
        beforeAlt: `Original ${index + 1}: ${name}`, afterAlt: `Cleaned ${index + 1}: ${name}`,
      }),
      h('p', { class: 'hint' }, found(image)),
      h('a', { href: output.url, download: '', class: 'button-link' }, `Download cleaned ${index + 1}: ${name}`));
  }));
}

export async function render(root) {
  const controller = new AbortController();
  const count = h('p', { class: 'hint', 'aria-live': 'polite' }, `Up to ${MAX_IMAGES} images in one job.`);
  const run = h('button', { type: 'submit', disabled: true }, 'Remove watermark');
  const picker = uploadPicker({
    label: 'Images', multiple: true,
    onChange: (uploads) => {
      const over = uploads.length > MAX_IMAGES;
      count.textContent = over
        ? `${uploads.length} images chosen: one job takes at most ${MAX_IMAGES}; remove some.`
        : `${uploads.length} of at most ${MAX_IMAGES} images chosen.`;
      count.classList.toggle('error', over);
      updateRun();
    },
  });
  const updateRun = () => { run.disabled = !picker.uploads.length || picker.uploads.length > MAX_IMAGES; };
  const problem = h('div', { class: 'form-problem' });
  const results = h('div', { class: 'job-list' });
  const optionsSlot = h('div', {}, h('p', { class: 'hint' }, 'Loading the options…'));
  const form = h('form', { class: 'tool-form', 'aria-labelledby': 'wm-options-title' },
    h('h2', { id: 'wm-options-title' }, '2. Choose what to remove'), optionsSlot, problem, run);
  replace(root, ...viewFrame('Remove watermark',
    'Take a known watermark, or a box in a corner, off up to 50 images at once.',
    h('p', { class: 'wm-notice' }, 'Only clean images you have the rights to: your own work, or images whose licence allows removing marks.'),
    h('section', { class: 'tool-section', 'aria-labelledby': 'wm-images-title' },
      h('h2', { id: 'wm-images-title' }, '1. Choose images'), picker, count),
    form,
    h('section', { class: 'tool-section', 'aria-labelledby': 'wm-results-title' },
      h('h2', { id: 'wm-results-title' }, '3. Results'), results)));

  let templates = [];
  try {
    templates = (await api('/v1/watermark-templates', { signal: controller.signal })).data;
  } catch (error) {
    if (error.name === 'AbortError') return () => picker.dispose();
    problem.append(errorBox(error));
  }
  const options = optionsForm(await serverEngines(), templates);
  replace(optionsSlot, options.element);

  submitForm(form, { button: run, problem, afterSubmit: updateRun }, async () => {
    const uploads = [...picker.uploads];
    if (!uploads.length || uploads.length > MAX_IMAGES) return;
    const job = await createJob({ kind: 'remove_watermark', input: uploads.map((u) => ({ upload_id: u.id })), params: options.params() });
    results.prepend(jobCard(job, {
      title: `Remove watermark: ${uploads.length} image${uploads.length === 1 ? '' : 's'}`,
      signal: controller.signal,
      onFinal: (finished, card) => replace(card.result, resultsGrid(uploads, finished)),
    }));
  });

  return () => {
    controller.abort();
    picker.dispose();
  };
}
