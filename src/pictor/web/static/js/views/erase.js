// Erase: one image; mark what to remove with a brush or rectangles (drawn on the canvas,
// or typed: the keyboard path), run an `erase` job, see the result before/after.
// Brush strokes go as a mask image (a PNG at the image's size, uploaded as the job's
// second input); rectangles go as `regions` in pixels (docs/api.md#erase-fill-a-region).

import { uploadFile } from '../api.js';
import { h, replace, submitForm, viewFrame } from '../ui.js';
import { createJob, jobCard } from '../jobs.js';
import { uploadPicker } from '../upload.js';
import { beforeAfter } from '../compare.js';
import { maskPainter } from '../mask-painter.js';
import { serverEngines, inpaintOptions, numberField } from '../engine-options.js';

/** The job's input and params for the image and the painter's marks. */
async function jobBody(upload, painter, fill, feather, signal) {
  const input = [{ upload_id: upload.id }];
  if (painter.hasBrush()) {
    const blob = await painter.maskBlob();
    const mask = await uploadFile(new File([blob], 'mask.png', { type: 'image/png' }), { signal });
    input.push({ upload_id: mask.id });
  }
  const params = { ...fill.params(), feather: Number(feather.input.value) || 0 };
  const regions = painter.regions();
  if (regions.length) {
    params.regions = regions;
    params.units = 'px';
  }
  return { kind: 'erase', input, params };
}

function resultView(upload, finished) {
  const output = finished.outputs[0];
  const name = upload.filename || 'image';
  const filled = finished.result && finished.result.masked_pixels;
  return [
    beforeAfter({
      original: upload, output, before: upload.preview || upload.url, name,
      beforeAlt: `Original: ${name}`, afterAlt: `Erased: ${name}`,
    }),
    filled ? h('p', { class: 'hint' }, `${filled.toLocaleString()} pixels filled by ${finished.result.engine}.`) : null,
    h('p', {}, h('a', { href: output.url, download: '', class: 'button-link' }, `Download the erased ${name}`)),
  ];
}

export async function render(root) {
  const controller = new AbortController();
  let painter = null;
  let upload = null;
  const run = h('button', { type: 'submit', disabled: true }, 'Erase');
  const runHint = h('p', { class: 'hint', id: 'erase-run-hint' }, 'Choose an image and mark what to erase first.');
  run.setAttribute('aria-describedby', runHint.id);
  const painterSlot = h('div', {}, h('p', { class: 'hint' }, 'Choose an image first; then paint over what to remove.'));
  const updateRun = () => {
    const ready = !!(painter && !painter.isEmpty());
    run.disabled = !ready;
    runHint.hidden = ready;
    runHint.textContent = painter ? 'Mark what to erase first.' : 'Choose an image and mark what to erase first.';
  };
  const picker = uploadPicker({
    label: 'Image',
    multiple: false,
    onChange: (uploads) => {
      upload = uploads[0] || null;
      painter = upload ? maskPainter({
        src: upload.preview || upload.url,
        alt: `Image to erase from: ${upload.filename || 'upload'}`,
        width: upload.width, height: upload.height, onChange: updateRun,
      }) : null;
      replace(painterSlot, painter || h('p', { class: 'hint' }, 'Choose an image first; then paint over what to remove.'));
      updateRun();
    },
  });
  const problem = h('div', { class: 'form-problem' });
  const results = h('div', { class: 'job-list' });
  const optionsSlot = h('div', {}, h('p', { class: 'hint' }, 'Loading the options…'));
  const form = h('form', { class: 'tool-form', 'aria-labelledby': 'erase-options-title' },
    h('h2', { id: 'erase-options-title' }, '3. Choose how'), optionsSlot, problem, run, runHint);
  replace(root, ...viewFrame('Erase',
    'Remove an object, a blemish or text: mark it with the brush or with rectangles and pictor fills it in from its surroundings.',
    h('section', { class: 'tool-section', 'aria-labelledby': 'erase-image-title' },
      h('h2', { id: 'erase-image-title' }, '1. Choose an image'), picker),
    h('section', { class: 'tool-section', 'aria-labelledby': 'erase-mark-title' },
      h('h2', { id: 'erase-mark-title' }, '2. Mark what to erase'), painterSlot),
    form,
    h('section', { class: 'tool-section', 'aria-labelledby': 'erase-results-title' },
      h('h2', { id: 'erase-results-title' }, '4. Results'), results)));

  const feather = numberField('Soft edge (px)', { value: 0, min: 0, max: 100, hint: 'Blends the filled area into the image; 0–100.' });
  const fill = inpaintOptions(await serverEngines(), { dilateMax: 200, extra: [feather.element] });
  replace(optionsSlot, fill.element);

  submitForm(form, { button: run, problem, afterSubmit: updateRun }, async () => {
    if (!painter || painter.isEmpty()) return;
    const source = upload;
    const job = await createJob(await jobBody(source, painter, fill, feather, controller.signal));
    results.prepend(jobCard(job, {
      title: `Erase: ${source.filename || 'image'}`,
      signal: controller.signal,
      onFinal: (finished, card) => replace(card.result, resultView(source, finished)),
    }));
  });

  return () => {
    controller.abort();
    picker.dispose();
  };
}
