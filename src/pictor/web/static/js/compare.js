// Before/after views of a job's result: a slider that reveals the original over the
// result (shared by the remove-background, erase and watermark views).

import { h, field } from './ui.js';

/**
 * A comparison slider. The result (`after`) fills the frame on a checkerboard, so
 * transparency shows; the original (`before`) is laid over it and clipped with CSS to
 * the part left of the slider's value. The range input is the control (arrows,
 * Home/End, Page Up/Down with the keyboard); dragging on the picture moves it too.
 *
 * {before, after: URLs; beforeAlt, afterAlt: alt texts; width, height: the pictures'
 * size (both the same); name: appended to the slider's label when a page shows several}
 */
export function compareSlider({ before, after, beforeAlt, afterAlt, width, height, name, value = 50 }) {
  const afterImg = h('img', { src: after, alt: afterAlt, class: 'compare-after', draggable: 'false' });
  const beforeImg = h('img', { src: before, alt: beforeAlt, class: 'compare-before', draggable: 'false' });
  const divider = h('div', { class: 'compare-divider', 'aria-hidden': 'true' });
  const stage = h('div', { class: 'compare-stage checker' }, afterImg, beforeImg, divider);
  if (width && height) stage.style.aspectRatio = `${width} / ${height}`;
  const range = h('input', { type: 'range', min: 0, max: 100, step: 1, value: String(value), class: 'compare-range' });
  const label = name ? `Compare before and after (${name})` : 'Compare before and after';
  const control = field(label, range, 'Left: the original. Right: the result. Use the arrow keys or drag.');
  control.classList.add('compare-control');

  const show = () => {
    const v = Number(range.value);
    beforeImg.style.clipPath = `inset(0 ${100 - v}% 0 0)`;
    divider.style.left = `${v}%`;
    range.setAttribute('aria-valuetext', `${v}% original, ${100 - v}% result`);
  };
  range.addEventListener('input', show);

  // Pointer dragging on the picture, for mouse and touch; the range stays the one control.
  const moveTo = (event) => {
    const box = stage.getBoundingClientRect();
    if (!box.width) return;
    const v = Math.round(Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)) * 100);
    range.value = String(v);
    show();
  };
  stage.addEventListener('pointerdown', (event) => {
    stage.setPointerCapture(event.pointerId);
    moveTo(event);
  });
  stage.addEventListener('pointermove', (event) => {
    if (stage.hasPointerCapture(event.pointerId)) moveTo(event);
  });
  show();

  const figure = h('figure', { class: 'compare' }, stage, control);
  // Small pictures are not blown up past twice their size (nor below a usable slider).
  if (width) figure.style.maxWidth = `min(720px, ${Math.max(320, width * 2)}px)`;
  figure.range = range;
  figure.beforeImg = beforeImg;
  figure.afterImg = afterImg;
  return figure;
}

/** Two pictures side by side, for results whose size differs from the original's (trim). */
export function sideBySide({ before, after, beforeAlt, afterAlt }) {
  return h('div', { class: 'side-by-side' },
    h('figure', {}, h('img', { src: before, alt: beforeAlt, class: 'checker' }), h('figcaption', {}, 'Before')),
    h('figure', {}, h('img', { src: after, alt: afterAlt, class: 'checker compare-after' }), h('figcaption', {}, 'After')));
}

/**
 * The right before/after view for an original and its result: the slider when both have
 * the same size, else side by side. `original` and `output` are artifacts (width,
 * height); `before` is the original's URL to show (e.g. a local preview).
 */
export function beforeAfter({ original, output, before, beforeAlt, afterAlt, name }) {
  const after = output.url;
  const same = original.width === output.width && original.height === output.height;
  if (!same) return sideBySide({ before, after, beforeAlt, afterAlt });
  return compareSlider({ before, after, beforeAlt, afterAlt, width: output.width, height: output.height, name });
}
