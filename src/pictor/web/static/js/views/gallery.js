// Gallery: every file your jobs made, as a grid of thumbnails (the items' signed
// thumbnail links), filtered by kind and prompt words, page by page; open one to see it
// full size, download it or move it to the trash. The trash lists what was deleted
// (thumbnails fetched with the key: their signed links stop working in the trash),
// to restore or delete for good.

import { api } from '../api.js';
import { h, field, select, errorBox, replace, viewFrame, toast } from '../ui.js';
import { itemDialog, confirmDialog, KIND_WORDS, kindWords, itemLabel } from '../gallery-dialogs.js';

const PAGE = 24;
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

function emptyState(mode, filtered) {
  if (mode === 'trash') return h('p', { class: 'gallery-empty' }, 'The trash is empty.');
  if (filtered) return h('p', { class: 'gallery-empty' }, 'No images match these filters.');
  return h('div', { class: 'gallery-empty' },
    h('p', {}, 'Nothing here yet. Every image your jobs make lands here.'),
    h('p', {}, 'Try ', h('a', { href: '#/remove-background' }, 'Remove background'), ', ',
      h('a', { href: '#/logo' }, 'Logo studio'), ' or the ', h('a', { href: '#/studio' }, 'Studio chat'), '.'));
}

function thumbnail(item, mode, keepBlobUrl) {
  const alt = itemLabel(item);
  if (!item.content_type.startsWith('image/')) {
    return h('span', { class: 'gallery-file', role: 'img', 'aria-label': alt }, (item.filename.split('.').pop() || 'file').toUpperCase());
  }
  if (mode === 'gallery' && item.thumbnail_url) {
    return h('img', { src: item.thumbnail_url, alt, class: 'gallery-thumb checker', loading: 'lazy' });
  }
  // In the trash the signed link answers 404: the thumbnail endpoint with the key does not.
  const img = h('img', { alt, class: 'gallery-thumb checker' });
  api(`/v1/gallery/${encodeURIComponent(item.id)}/thumbnail`, { raw: true })
    .then((response) => response.blob())
    .then((blob) => {
      const url = URL.createObjectURL(blob);
      keepBlobUrl(url);
      img.src = url;
    }, () => { img.replaceWith(h('span', { class: 'gallery-file', role: 'img', 'aria-label': alt }, 'No preview')); });
  return img;
}

function caption(item, mode) {
  const when = mode === 'trash'
    ? `Deleted ${dayFormat.format(new Date(item.deleted_at))}`
    : dayFormat.format(new Date(item.created_at));
  const type = (item.filename.split('.').pop() || '').toUpperCase();
  const size = item.width ? ` ${item.width}×${item.height}` : '';
  return h('span', { class: 'gallery-caption' },
    h('strong', {}, kindWords(item.kind)),
    item.prompt ? h('span', { class: 'gallery-prompt' }, item.prompt) : null,
    h('span', {}, `${type}${size} · ${when}`),
    mode === 'trash' && item.purge_at ? h('span', {}, `Gone for good ${dayFormat.format(new Date(item.purge_at))}`) : null);
}

class GalleryView {
  constructor(params) {
    this.mode = params.get('view') === 'trash' ? 'trash' : 'gallery';
    this.cursor = null;
    this.generation = 0; // a newer fresh load makes older answers stale
    this.shown = 0;
    this.blobUrls = [];
    this.disposed = false;
    /** An object URL of a trash thumbnail: revoked when the list is reloaded or left. */
    this.keepBlobUrl = (url) => { if (this.disposed) URL.revokeObjectURL(url); else this.blobUrls.push(url); };
    const kinds = Object.keys(KIND_WORDS);
    this.kind = select([['', 'All kinds'], ...kinds.map((k) => [k, KIND_WORDS[k]])], { value: params.get('kind') || '' });
    this.search = h('input', { type: 'search', name: 'q', maxlength: 200, value: params.get('q') || '' });
    this.filters = h('form', { class: 'gallery-filters', role: 'search', 'aria-label': 'Filter the gallery' },
      field('Kind', this.kind), field('Words of the prompt', this.search),
      h('div', { class: 'gallery-filter-actions' }, h('button', { type: 'submit' }, 'Search')));
    this.listTitle = h('h2', { id: 'gallery-list-title' });
    this.status = h('p', { class: 'gallery-status', role: 'status' });
    this.grid = h('ul', { class: 'gallery-grid', 'aria-labelledby': 'gallery-list-title', tabindex: '-1' });
    this.more = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => this.load(false) }, 'Load more');
    this.problem = h('div');
    this.galleryMode = h('button', { type: 'button', onclick: () => this.setMode('gallery') }, 'Gallery');
    this.trashMode = h('button', { type: 'button', onclick: () => this.setMode('trash') }, 'Trash');
    this.dialog = itemDialog();
    this.confirm = confirmDialog();
    this.filters.addEventListener('submit', (event) => { event.preventDefault(); this.load(true); });
    this.kind.addEventListener('change', () => this.load(true));
  }

  elements() {
    return [h('div', { class: 'gallery-modes', role: 'group', 'aria-label': 'Show' }, this.galleryMode, this.trashMode),
      this.filters, this.listTitle, this.status, this.problem, this.grid, this.more, this.dialog, this.confirm];
  }

  filtered() {
    return this.mode === 'gallery' && !!(this.kind.value || this.search.value.trim());
  }

  syncStatus() {
    const { shown } = this;
    const where = this.mode === 'trash' ? ' in the trash' : '';
    const rest = this.more.hidden ? '.' : '; there are more.';
    this.status.textContent = shown ? `Showing ${shown} ${shown === 1 ? 'file' : 'files'}${where}${rest}` : '';
    if (!shown && !this.grid.querySelector('.gallery-empty')) this.grid.append(h('li', {}, emptyState(this.mode, this.filtered())));
  }

  /** Takes a card out; focus goes to the next card (or the one before, or the list). */
  removeCard(li, message) {
    const active = document.activeElement;
    const hadFocus = li.contains(active) || !active || active === document.body;
    const neighbour = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    if (hadFocus) (neighbour?.querySelector('button') || this.grid).focus();
    this.shown -= 1;
    this.syncStatus();
    toast(message);
  }

  /** Calls the API for one item; the card goes when it answers, an error stays shown. */
  async act(li, request, done) {
    replace(this.problem);
    try {
      await request();
      this.removeCard(li, done);
    } catch (error) {
      replace(this.problem, errorBox(error));
    }
  }

  card(item) {
    const li = h('li', { dataset: { itemId: item.id } });
    const path = `/v1/gallery/${encodeURIComponent(item.id)}`;
    if (this.mode === 'gallery') {
      const open = h('button', { type: 'button', class: 'gallery-open' }, thumbnail(item, 'gallery', this.keepBlobUrl), caption(item, 'gallery'));
      const onTrash = () => {
        this.dialog.close();
        return this.act(li, () => api(path, { method: 'DELETE' }), 'Moved to the trash.');
      };
      open.addEventListener('click', () => this.dialog.show(item, { opener: open, onTrash }));
      li.append(h('div', { class: 'gallery-card' }, open));
      return li;
    }
    const label = itemLabel(item);
    const restore = () => this.act(li, () => api(`${path}/restore`, { method: 'POST' }), 'Restored to the gallery.');
    const forever = async () => {
      if (await this.confirm.ask(label)) await this.act(li, () => api(`${path}/permanent`, { method: 'DELETE' }), 'Deleted for good.');
    };
    li.append(h('div', { class: 'gallery-card' },
      thumbnail(item, 'trash', this.keepBlobUrl), caption(item, 'trash'),
      h('div', { class: 'gallery-card-actions' },
        h('button', { type: 'button', class: 'small', 'aria-label': `Restore ${label}`, onclick: restore }, 'Restore'),
        h('button', { type: 'button', class: 'small danger', 'aria-label': `Delete forever ${label}`, onclick: forever }, 'Delete forever'))));
    return li;
  }

  query() {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (this.cursor) query.set('cursor', this.cursor);
    if (this.mode === 'gallery') {
      if (this.kind.value) query.set('kind', this.kind.value);
      if (this.search.value.trim()) query.set('q', this.search.value.trim());
    }
    return `${this.mode === 'trash' ? '/v1/gallery/trash' : '/v1/gallery'}?${query}`;
  }

  /** The first page (fresh) or the next one. */
  async load(fresh) {
    if (fresh) {
      this.generation += 1;
      this.cursor = null;
      this.shown = 0;
      replace(this.grid);
      for (const url of this.blobUrls.splice(0)) URL.revokeObjectURL(url);
      this.rememberFilters();
    }
    const { generation } = this;
    replace(this.problem);
    this.more.disabled = true;
    try {
      const page = await api(this.query());
      if (generation !== this.generation) return;
      this.grid.querySelector('.gallery-empty')?.closest('li')?.remove();
      this.grid.append(...page.data.map((item) => this.card(item)));
      this.shown += page.data.length;
      this.cursor = page.next_cursor;
      this.more.hidden = !page.has_more;
    } catch (error) {
      if (generation === this.generation) replace(this.problem, errorBox(error));
    } finally {
      this.more.disabled = false;
      if (generation === this.generation) this.syncStatus();
    }
  }

  /** The address keeps the mode and filters (a reload or a shared link shows the same). */
  rememberFilters() {
    const query = new URLSearchParams();
    if (this.mode === 'trash') query.set('view', 'trash');
    else {
      if (this.kind.value) query.set('kind', this.kind.value);
      if (this.search.value.trim()) query.set('q', this.search.value.trim());
    }
    const text = query.toString();
    history.replaceState(null, '', `#/gallery${text ? `?${text}` : ''}`);
  }

  setMode(mode) {
    this.mode = mode;
    this.galleryMode.setAttribute('aria-pressed', String(mode === 'gallery'));
    this.trashMode.setAttribute('aria-pressed', String(mode === 'trash'));
    this.filters.hidden = mode === 'trash';
    this.listTitle.textContent = mode === 'trash' ? 'Trash' : 'Your images';
    return this.load(true);
  }

  dispose() {
    this.disposed = true;
    this.generation += 1;
    this.dialog.close();
    this.confirm.close();
    for (const url of this.blobUrls) URL.revokeObjectURL(url);
  }
}

export function render(root, ctx) {
  const view = new GalleryView(ctx.params);
  replace(root, viewFrame('Gallery',
    'Everything your jobs made. Open an image to see it full size, download it or move it to the trash; the trash empties itself after a while.',
    ...view.elements()));
  view.setMode(view.mode);
  return () => view.dispose();
}
