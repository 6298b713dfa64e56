// Choosing images: drag and drop, the file picker, or paste from the clipboard.

import { uploadFile } from './api.js';
import { h, uid, errorBox, replace } from './ui.js';

const ACCEPT = 'image/png,image/jpeg,image/webp,image/bmp';

/**
 * A drop zone. onFiles(files) gets an array of File objects chosen by drop, picker or
 * paste (paste works anywhere on the page while the zone is on screen and not inside a
 * hidden element; `paste: false` turns it off, e.g. for a second zone on the same page).
 * Returns the element; call el.dispose() to stop listening to paste.
 */
export function dropZone({ label = 'Images', multiple = true, onFiles, paste = true }) {
  const inputId = uid('upload');
  const input = h('input', { type: 'file', id: inputId, accept: ACCEPT, multiple, class: 'visually-hidden' });
  const zone = h('div', { class: 'drop-zone', dataset: { testid: 'drop-zone' } },
    h('p', {}, multiple ? `Drop images here${paste ? ', paste them,' : ''} or ` : `Drop an image here${paste ? ', paste it,' : ''} or `),
    h('label', { for: inputId, class: 'button-link' }, multiple ? `choose files (${label})` : `choose a file (${label})`),
    input);
  const deliver = (fileList) => {
    const files = [...fileList].filter((f) => f.type.startsWith('image/') || f.type === '');
    if (files.length) onFiles(multiple ? files : files.slice(0, 1));
  };
  input.addEventListener('change', () => { deliver(input.files); input.value = ''; });
  zone.addEventListener('dragover', (event) => { event.preventDefault(); zone.classList.add('dragging'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    deliver(event.dataTransfer.files);
  });
  const onPaste = (event) => {
    if (!paste || !zone.isConnected || zone.closest('[hidden]')) return;
    const files = [...(event.clipboardData ? event.clipboardData.files : [])];
    if (files.length) {
      event.preventDefault();
      deliver(files);
    }
  };
  document.addEventListener('paste', onPaste);
  zone.dispose = () => document.removeEventListener('paste', onPaste);
  return zone;
}

/**
 * A picker that uploads what is chosen and lists the uploads as thumbnails.
 * `picker.uploads` is the list of uploaded artifacts (in order); onChange(uploads) is
 * called after each change. Upload errors are shown with the API's message.
 */
export function uploadPicker({ label = 'Images', multiple = true, onChange, paste = true } = {}) {
  const list = h('ul', { class: 'upload-list', 'aria-label': `${label} chosen` });
  const problem = h('div', { class: 'upload-problem' });
  const picker = h('div', { class: 'upload-picker' });
  picker.uploads = [];
  const changed = () => { if (onChange) onChange(picker.uploads); };
  const render = () => {
    replace(list, picker.uploads.map((artifact, index) => h('li', {},
      h('img', { src: artifact.preview || artifact.url, alt: `Upload ${index + 1}: ${artifact.filename || 'image'}`, class: 'thumb checker' }),
      h('button', {
        type: 'button', class: 'secondary small', 'aria-label': `Remove upload ${index + 1}`,
        onclick: () => { picker.uploads.splice(index, 1); render(); changed(); },
      }, 'Remove'))));
  };
  const zone = dropZone({
    label, multiple, paste,
    onFiles: async (files) => {
      replace(problem);
      if (!multiple) picker.uploads = [];
      for (const file of files) {
        const pending = h('p', { class: 'uploading' }, `Uploading ${file.name || 'image'}…`);
        problem.append(pending);
        try {
          const artifact = await uploadFile(file);
          artifact.preview = URL.createObjectURL(file);
          picker.uploads.push(artifact);
          pending.remove();
        } catch (error) {
          pending.replaceWith(errorBox(error));
        }
      }
      render();
      changed();
    },
  });
  picker.append(zone, problem, list);
  picker.dispose = () => zone.dispose();
  picker.clear = () => { picker.uploads = []; render(); changed(); };
  return picker;
}
