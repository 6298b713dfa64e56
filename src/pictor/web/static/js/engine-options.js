// Options shared by the remove-background, erase and watermark views: which engines the
// server offers (GET /ready lists them), a checkbox field, and the inpainting options
// (engine, method, grow, format) of `erase` and `remove_watermark`.

import { api, ApiError } from './api.js';
import { h, field, select } from './ui.js';

let enginesPromise = null;

/**
 * The engines of this server, {"segment:classical": {available, detail}, ...}, from
 * GET /ready (its body lists them even when it answers 503). Read once per page load.
 */
export function serverEngines() {
  if (!enginesPromise) {
    enginesPromise = api('/ready').then((body) => body.engines || {}).catch((error) => {
      enginesPromise = null;
      if (error instanceof ApiError && error.body && error.body.engines) return error.body.engines;
      return {};
    });
  }
  return enginesPromise;
}

/** The available engine names of one family: availableOf(engines, 'segment') → ['classical']. */
export function availableOf(engines, family) {
  return Object.entries(engines)
    .filter(([name, state]) => name.startsWith(`${family}:`) && state.available)
    .map(([name]) => name.slice(family.length + 1));
}

/** A checkbox with its label beside it (and an optional hint below). */
export function checkField(label, input, hint) {
  const wrapper = field(label, input, hint);
  wrapper.classList.add('field-check');
  return wrapper;
}

/** A number input with bounds. */
export function numberField(label, { value, min, max, step = 1, hint }) {
  const input = h('input', { type: 'number', value: String(value), min, max, step, inputmode: 'decimal' });
  return { input, element: field(label, input, hint) };
}

const FORMATS = [['png', 'PNG (lossless)'], ['webp', 'WebP (smaller)'], ['jpeg', 'JPEG (smallest, no transparency)']];

/**
 * The inpainting options: engine (only when the server has more than one), method, grow
 * by N px, output format. `params()` gives the job's params for them.
 */
export function inpaintOptions(engines, { dilateMax, extra = [] }) {
  const inpainters = availableOf(engines, 'inpaint');
  const hasOnnx = inpainters.includes('onnx');
  const engine = select([['opencv', 'OpenCV (no model needed)'], ['onnx', 'Neural network model (ONNX)']], { value: 'opencv' });
  const method = select([['telea', 'Fast marching (Telea)'], ['ns', 'Navier-Stokes (smoother)']], { value: 'telea' });
  const dilate = numberField('Grow the marked area (px)', {
    value: 0, min: 0, max: dilateMax, hint: `Covers the edges of the mark too; 0–${dilateMax}.`,
  });
  const format = select(FORMATS, { value: 'png' });
  engine.addEventListener('change', () => { method.disabled = engine.value === 'onnx'; });
  const element = h('fieldset', { class: 'options' }, h('legend', {}, 'How to fill'),
    hasOnnx ? field('Engine', engine) : null,
    field('Fill method', method, `Fast marching is quick and good for thin marks; Navier-Stokes is smoother on larger areas.${hasOnnx ? ' For the OpenCV engine.' : ''}`),
    dilate.element, ...extra,
    field('File format', format));
  const params = () => ({
    engine: hasOnnx ? engine.value : 'opencv',
    method: method.value,
    dilate: Number(dilate.input.value) || 0,
    output_format: format.value,
  });
  return { element, params };
}
