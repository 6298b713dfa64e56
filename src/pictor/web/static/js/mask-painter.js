// Marking what to erase: paint with a brush or drag rectangles on a canvas laid over the
// image (pointer events: mouse, touch, pen), or type a rectangle's numbers (the keyboard
// path). The marks are kept as a list, so Undo removes the last one and the canvas is
// redrawn from the list. Coordinates are pixels of the image at its natural size.

import { h, field, uid, replace } from './ui.js';

const MARK_COLOUR = '#ff1f8f';

function numberInput(max) {
  return h('input', { type: 'number', min: 0, max, step: 1, inputmode: 'numeric', required: true });
}

function drawMark(ctx, mark, colour) {
  ctx.fillStyle = colour;
  ctx.strokeStyle = colour;
  if (mark.kind === 'rect') {
    ctx.fillRect(mark.x, mark.y, mark.w, mark.h);
    return;
  }
  const [first, ...rest] = mark.points;
  if (!rest.length) {
    ctx.beginPath();
    ctx.arc(first[0], first[1], mark.size / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  ctx.lineWidth = mark.size;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.beginPath();
  ctx.moveTo(first[0], first[1]);
  for (const [x, y] of rest) ctx.lineTo(x, y);
  ctx.stroke();
}

function describe(marks) {
  const strokes = marks.filter((m) => m.kind === 'brush').length;
  const rects = marks.length - strokes;
  if (!marks.length) return 'Nothing marked yet.';
  const parts = [];
  if (strokes) parts.push(`${strokes} brush stroke${strokes === 1 ? '' : 's'}`);
  if (rects) parts.push(`${rects} rectangle${rects === 1 ? '' : 's'}`);
  return `Marked: ${parts.join(' and ')}.`;
}

/** Tool choice (brush or rectangle drag) and the brush size slider. */
function toolControls(width, height) {
  const name = uid('tool');
  const brush = h('input', { type: 'radio', name, value: 'brush', checked: true, id: uid('tool') });
  const rect = h('input', { type: 'radio', name, value: 'rect', id: uid('tool') });
  const tools = h('fieldset', { class: 'mask-tools' }, h('legend', {}, 'Tool'),
    h('span', { class: 'choice' }, brush, h('label', { for: brush.id }, 'Brush')),
    h('span', { class: 'choice' }, rect, h('label', { for: rect.id }, 'Rectangle (drag)')));
  const small = Math.min(width, height);
  const max = Math.max(20, Math.round(small / 4));
  const size = h('input', { type: 'range', min: 1, max, step: 1, value: String(Math.max(4, Math.round(small / 25))) });
  const sizeOut = h('output', { class: 'brush-size-value', 'aria-hidden': 'true' });
  const showSize = () => {
    sizeOut.textContent = `${size.value} px`;
    size.setAttribute('aria-valuetext', `${size.value} pixels`);
  };
  size.addEventListener('input', showSize);
  showSize();
  const sizeField = field('Brush size', size, 'In pixels of the image.');
  size.after(sizeOut);
  return { tools, sizeField, tool: () => (rect.checked ? 'rect' : 'brush'), size: () => Number(size.value) };
}

/** The keyboard path: a rectangle by its numbers. onAdd({x, y, w, h}) gets it. */
function rectangleForm(width, height, onAdd) {
  const x = numberInput(width - 1);
  const y = numberInput(height - 1);
  const w = numberInput(width);
  const hh = numberInput(height);
  const problem = h('div', { class: 'rect-problem' });
  const form = h('form', { class: 'rect-form', novalidate: true },
    h('fieldset', {}, h('legend', {}, `Add a rectangle (pixels; the image is ${width} × ${height})`),
      h('div', { class: 'rect-fields' },
        field('X (from the left)', x), field('Y (from the top)', y),
        field('Width', w), field('Height', hh)),
      problem,
      h('button', { type: 'submit', class: 'secondary' }, 'Add rectangle')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const box = { x: Number(x.value), y: Number(y.value), w: Number(w.value), h: Number(hh.value) };
    const filled = [x, y, w, hh].every((input) => input.value.trim() !== '');
    const valid = filled && Object.values(box).every(Number.isFinite) && box.x >= 0 && box.y >= 0
      && box.w > 0 && box.h > 0 && box.x < width && box.y < height;
    if (!valid) {
      replace(problem, h('p', { class: 'error', role: 'alert' },
        `Give X and Y inside the image (0–${width - 1}, 0–${height - 1}) and a width and height above 0.`));
      return;
    }
    replace(problem);
    onAdd({ x: box.x, y: box.y, w: Math.min(box.w, width - box.x), h: Math.min(box.h, height - box.y) });
  });
  return form;
}

/**
 * A mask painter over one image. {src, alt, width, height: the image and its natural
 * size; onChange(painter)}. The element has: isEmpty(), hasBrush(), regions() (the
 * rectangles as {x, y, w, h} px), maskBlob() (a PNG at the image's size: white where the
 * brush painted, black elsewhere), undo(), clear().
 */
export function maskPainter({ src, alt, width, height, onChange }) {
  let marks = [];
  let active = null;
  let dragStart = null;
  const canvas = h('canvas', { class: 'mask-canvas', width, height, role: 'img',
    'aria-label': 'Mask over the image: paint or drag over what to erase' });
  const ctx = canvas.getContext('2d');
  const stage = h('div', { class: 'mask-stage' }, h('img', { src, alt, class: 'mask-image', draggable: 'false' }), canvas);
  stage.style.aspectRatio = `${width} / ${height}`;
  const controls = toolControls(width, height);
  const status = h('p', { class: 'mask-status', 'aria-live': 'polite' });
  const undoButton = h('button', { type: 'button', class: 'secondary' }, 'Undo');
  const clearButton = h('button', { type: 'button', class: 'secondary' }, 'Clear');
  const rectList = h('ul', { class: 'rect-list', 'aria-label': 'Rectangles marked' });

  const redraw = (preview) => {
    ctx.clearRect(0, 0, width, height);
    for (const mark of marks) drawMark(ctx, mark, MARK_COLOUR);
    if (preview) drawMark(ctx, preview, MARK_COLOUR);
  };
  const changed = () => {
    redraw();
    status.textContent = describe(marks);
    undoButton.disabled = clearButton.disabled = !marks.length;
    replace(rectList, marks.filter((m) => m.kind === 'rect').map((m, i) => h('li', {},
      `Rectangle ${i + 1}: x ${m.x}, y ${m.y}, ${m.w} × ${m.h}`, ' ',
      h('button', { type: 'button', class: 'secondary small', 'aria-label': `Remove rectangle ${i + 1}`,
        onclick: () => { marks = marks.filter((other) => other !== m); changed(); } }, 'Remove'))));
    if (onChange) onChange(painter);
  };

  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    const px = ((event.clientX - box.left) * width) / box.width;
    const py = ((event.clientY - box.top) * height) / box.height;
    return [Math.min(width, Math.max(0, Math.round(px))), Math.min(height, Math.max(0, Math.round(py)))];
  };
  const rectBetween = ([x0, y0], [x1, y1]) => ({
    kind: 'rect', x: Math.min(x0, x1), y: Math.min(y0, y1), w: Math.abs(x1 - x0), h: Math.abs(y1 - y0),
  });

  canvas.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    if (controls.tool() === 'rect') {
      dragStart = point(event);
      return;
    }
    active = { kind: 'brush', size: controls.size(), points: [point(event)] };
    redraw(active);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (active) {
      // Only the new segment is drawn: a full redraw per move is slow on a large image.
      const last = active.points[active.points.length - 1];
      const next = point(event);
      active.points.push(next);
      drawMark(ctx, { kind: 'brush', size: active.size, points: [last, next] }, MARK_COLOUR);
    } else if (dragStart) {
      redraw(rectBetween(dragStart, point(event)));
    }
  });
  const finish = (event) => {
    if (active) {
      marks.push(active);
      active = null;
      changed();
    } else if (dragStart) {
      const rect = rectBetween(dragStart, point(event));
      dragStart = null;
      if (rect.w >= 1 && rect.h >= 1) marks.push(rect);
      changed();
    }
  };
  canvas.addEventListener('pointerup', finish);
  canvas.addEventListener('pointercancel', finish);

  undoButton.addEventListener('click', () => { marks.pop(); changed(); });
  clearButton.addEventListener('click', () => { marks = []; changed(); });

  const painter = h('div', { class: 'mask-painter' },
    h('div', { class: 'mask-controls' }, controls.tools, controls.sizeField,
      h('div', { class: 'mask-buttons' }, undoButton, clearButton)),
    stage, status,
    rectangleForm(width, height, (box) => { marks.push({ kind: 'rect', ...box }); changed(); }),
    rectList);

  painter.isEmpty = () => marks.length === 0;
  painter.hasBrush = () => marks.some((m) => m.kind === 'brush');
  painter.regions = () => marks.filter((m) => m.kind === 'rect').map(({ x, y, w, h: hh }) => ({ x, y, w, h: hh }));
  painter.undo = () => undoButton.click();
  painter.clear = () => clearButton.click();
  painter.maskBlob = () => {
    const out = h('canvas', { width, height });
    const octx = out.getContext('2d');
    octx.fillStyle = '#000';
    octx.fillRect(0, 0, width, height);
    for (const mark of marks) if (mark.kind === 'brush') drawMark(octx, mark, '#fff');
    return new Promise((resolve) => { out.toBlob(resolve, 'image/png'); });
  };
  changed();
  return painter;
}
