// The gallery's dialogs (native <dialog>, modal: focus stays inside, Escape closes):
// one item full size with its facts and actions, and the "delete forever?" question.
// Used by views/gallery.js.

import { h, replace, formatBytes, uid } from './ui.js';

export const KIND_WORDS = {
  remove_background: 'Background removed',
  erase: 'Erased',
  remove_watermark: 'Watermark removed',
  logo: 'Logo',
  localize: 'Localized ad',
  generate: 'Generated',
  edit: 'Edited',
};

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function kindWords(kind) {
  return KIND_WORDS[kind] || kind.replace(/_/g, ' ');
}

/** Words that say what an item is (its images' alt text, its buttons' names). */
export function itemLabel(item) {
  const what = kindWords(item.kind);
  const size = item.width ? `, ${item.width}×${item.height}` : '';
  const about = item.prompt ? `: ${item.prompt}` : '';
  return `${what}${about}${size}, ${dateFormat.format(new Date(item.created_at))}`;
}

function fileKind(item) {
  const sub = (item.content_type.split('/')[1] || '').split('+')[0].toUpperCase();
  return sub === 'JPEG' ? 'JPEG image' : item.content_type.startsWith('image/') ? `${sub} image` : `${sub || 'binary'} file`;
}

/** The dialog that shows one item: `dialog.show(item, {opener, onTrash})`. */
export function itemDialog() {
  const titleId = uid('gallery-item');
  const dialog = h('dialog', { class: 'gallery-dialog', 'aria-labelledby': titleId });
  let opener = null;
  dialog.addEventListener('close', () => {
    replace(dialog);
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });

  dialog.show = (item, { opener: from, onTrash }) => {
    opener = from;
    const label = h('h2', { id: titleId }, kindWords(item.kind));
    const isImage = item.content_type.startsWith('image/') && item.url;
    const facts = [
      ['Prompt', item.prompt || 'None (made from an image)'],
      ['Kind', `${kindWords(item.kind)} (${item.kind})`],
      ['Engine', item.engine || 'Not recorded'],
      ['Size', `${item.width ? `${item.width} × ${item.height} px, ` : ''}${formatBytes(item.size)}`],
      ['File', `${item.filename} (${fileKind(item)})`],
      ['Made', dateFormat.format(new Date(item.created_at))],
    ];
    const close = h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Close');
    replace(dialog,
      label,
      isImage ? h('img', { src: item.url, alt: itemLabel(item), class: 'gallery-full checker' }) : null,
      h('dl', { class: 'gallery-facts' }, facts.map(([name, value]) => [h('dt', {}, name), h('dd', {}, value)])),
      h('div', { class: 'gallery-dialog-actions' },
        item.url ? h('a', { href: item.url, download: item.filename, class: 'button-link' }, 'Download') : null,
        h('button', { type: 'button', class: 'danger', onclick: onTrash }, 'Move to trash'),
        close));
    dialog.showModal();
    close.focus();
  };
  return dialog;
}

/** The question before deleting for good: `await confirm.ask(what)` → true to delete. */
export function confirmDialog() {
  const titleId = uid('confirm');
  const textId = uid('confirm');
  const dialog = h('dialog', { class: 'gallery-dialog gallery-confirm', role: 'alertdialog', 'aria-labelledby': titleId, 'aria-describedby': textId });
  let answer = null;
  dialog.addEventListener('close', () => {
    if (answer) answer(dialog.returnValue === 'delete');
    answer = null;
    replace(dialog);
  });
  dialog.ask = (what) => new Promise((resolve) => {
    const opener = document.activeElement;
    answer = (value) => {
      resolve(value);
      if (!value && opener && opener.isConnected) opener.focus();
    };
    dialog.returnValue = '';
    const keep = h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close('keep') }, 'Keep it');
    replace(dialog,
      h('h2', { id: titleId }, 'Delete forever?'),
      h('p', { id: textId }, `${what} will be deleted for good, with its file. There is no undo.`),
      h('div', { class: 'gallery-dialog-actions' },
        h('button', { type: 'button', class: 'danger', onclick: () => dialog.close('delete') }, 'Delete forever'),
        keep));
    dialog.showModal();
    keep.focus();
  });
  return dialog;
}
