// Remove background: upload one or several images, choose the options in plain words,
// one `remove_background` job per image, each with its progress and, when done, a
// before/after slider over a checkerboard and a download link.

import { h, field, radio, submitForm, uid, replace, viewFrame } from '../ui.js';
import { createJob, jobCard } from '../jobs.js';
import { uploadPicker } from '../upload.js';
import { beforeAfter } from '../compare.js';
import { serverEngines, availableOf, checkField, numberField } from '../engine-options.js';

const ENGINE_LABELS = {
  classical: 'Classical (no model needed, fast)',
  onnx: 'Neural network model (ONNX, finer on hair and busy scenes)',
};

function engineField(engines) {
  const names = availableOf(engines, 'segment');
  if (names.length <= 1) {
    const only = names[0] || 'classical';
    return { element: h('p', { class: 'hint' }, `Engine: ${ENGINE_LABELS[only] || only}, the one this server offers.`), value: () => only };
  }
  const input = h('select', {}, names.map((name) => h('option', { value: name }, ENGINE_LABELS[name] || name)));
  return { element: field('Engine', input), value: () => input.value };
}

/** The options form; `params()` gives the job's params. */
function optionsForm(engines) {
  const engine = engineField(engines);
  const outName = uid('output');
  const colour = h('input', { type: 'color', value: '#ffffff' });
  const colourField = field('Background colour', colour);
  const output = h('fieldset', { class: 'options-group' }, h('legend', {}, 'Result'),
    radio(outName, 'cutout', 'Transparent cut-out', true),
    radio(outName, 'mask', 'Black-and-white mask (white = subject)', false),
    radio(outName, 'fill', 'Subject on a colour', false),
    colourField);
  const trim = h('input', { type: 'checkbox' });
  const padding = numberField('Margin around the subject (px)', { value: 5, min: 0, max: 1000, hint: 'Kept when cropping, 0–1000.' });
  const refine = h('input', { type: 'checkbox', checked: true });
  const format = h('select', {}, h('option', { value: 'png' }, 'PNG'), h('option', { value: 'webp' }, 'WebP (smaller)'));
  const trimField = checkField('Crop to the subject', trim);
  const choice = () => output.querySelector('input[type=radio]:checked').value;
  const sync = () => {
    const mode = choice();
    // Only what applies is shown: the colour for a fill, the margin when cropping.
    colourField.hidden = mode !== 'fill';
    trimField.hidden = mode === 'mask';
    padding.element.hidden = mode === 'mask' || !trim.checked;
  };
  output.addEventListener('change', sync);
  trim.addEventListener('change', sync);
  sync();
  const element = h('fieldset', { class: 'options' }, h('legend', {}, 'Options'),
    engine.element, output,
    trimField, padding.element,
    checkField('Refine edges', refine, 'Softer, more precise outline against the full-size image.'),
    field('File format', format));
  const params = () => {
    const mode = choice();
    const p = { engine: engine.value(), refine_edges: refine.checked, output_format: format.value };
    if (mode === 'mask') p.only_mask = true;
    if (mode === 'fill') p.background_color = colour.value;
    if (mode !== 'mask' && trim.checked) {
      p.trim = true;
      p.padding = Number(padding.input.value) || 0;
    }
    return p;
  };
  return { element, params };
}

function resultView(upload, index, finished, params) {
  const output = finished.outputs[0];
  const name = upload.filename || `image ${index + 1}`;
  const what = params.only_mask ? `the mask of ${name}` : `${name} without background`;
  const format = output.content_type.replace('image/', '').toUpperCase();
  return [
    beforeAfter({
      original: upload, output, before: upload.preview || upload.url, name,
      beforeAlt: `Original: ${name}`, afterAlt: params.only_mask ? `Mask: ${name}` : `Background removed: ${name}`,
    }),
    h('p', {}, h('a', { href: output.url, download: '', class: 'button-link' },
      `Download ${what} (${format}, ${output.width} × ${output.height})`)),
  ];
}

export async function render(root) {
  const controller = new AbortController();
  const picker = uploadPicker({ label: 'Images', multiple: true, onChange: () => updateRun() });
  const run = h('button', { type: 'submit', disabled: true }, 'Remove background');
  const updateRun = () => { run.disabled = !picker.uploads.length; };
  const problem = h('div', { class: 'form-problem' });
  const results = h('div', { class: 'job-list' });
  const optionsSlot = h('div', {}, h('p', { class: 'hint' }, 'Loading the options…'));
  const form = h('form', { class: 'tool-form', 'aria-labelledby': 'rb-options-title' },
    h('h2', { id: 'rb-options-title' }, '2. Choose how'), optionsSlot, problem, run);
  replace(root, ...viewFrame('Remove background',
    'Cut the subject out of a photo: a transparent PNG, a mask, or the subject on a colour. Several images at once run as one job each.',
    h('section', { class: 'tool-section', 'aria-labelledby': 'rb-images-title' },
      h('h2', { id: 'rb-images-title' }, '1. Choose images'), picker),
    form,
    h('section', { class: 'tool-section', 'aria-labelledby': 'rb-results-title' },
      h('h2', { id: 'rb-results-title' }, '3. Results'), results)));

  const options = optionsForm(await serverEngines());
  replace(optionsSlot, options.element);

  submitForm(form, { button: run, problem, afterSubmit: updateRun }, async () => {
    const uploads = [...picker.uploads];
    if (!uploads.length) return;
    const params = options.params();
    const batch = h('div', { class: 'job-batch' });
    results.prepend(batch);
    for (const [index, upload] of uploads.entries()) {
      const job = await createJob({ kind: 'remove_background', input: { upload_id: upload.id }, params });
      batch.append(jobCard(job, {
        title: `Image ${index + 1}: ${upload.filename || 'upload'}`,
        signal: controller.signal,
        onFinal: (finished, card) => replace(card.result, resultView(upload, index, finished, params)),
      }));
    }
  });

  return () => {
    controller.abort();
    picker.dispose();
  };
}
