// Localize an ad: upload it, tick the markets (flags and names, with a filter), choose
// the engine, size and shape, then watch each market's version arrive and download
// them one by one or all as a ZIP. Job kind `localize` (POST /v1/jobs).

import { api } from '../api.js';
import { createJob, jobResults } from '../jobs.js';
import { uploadPicker } from '../upload.js';
import { h, field, formCard, select, replace, viewFrame, viewAfterLoading, uid, errorBox } from '../ui.js';
import { liveResultCard, outputsById, problemBox, readyEngines, saveFromApi, extensionFor } from '../results.js';
import { flagFor, marketChooser } from './localize-markets.js';

const RATIOS = [
  ['keep', 'Keep the ad’s shape'],
  ['1:1', '1:1 — square'],
  ['4:5', '4:5 — portrait (feeds)'],
  ['9:16', '9:16 — tall (stories, reels)'],
  ['16:9', '16:9 — wide (video, banners)'],
  ['2:3', '2:3 — portrait'],
  ['3:2', '3:2 — landscape'],
  ['3:4', '3:4 — portrait'],
  ['4:3', '4:3 — landscape'],
  ['5:4', '5:4 — landscape'],
  ['21:9', '21:9 — ultra-wide'],
];
const SIZES = [['1K', '1K — 1024 px on the long side'], ['2K', '2K — 2048 px'], ['4K', '4K — 4096 px']];
const ENGINES = [
  ['gemini', 'Gemini — text, people and details'],
  ['relayout', 'Relayout — text only, offline'],
];
const STATUS = { queued: 'Waiting', running: 'Making it…', succeeded: 'Done', failed: 'Failed' };

function checkbox(label, { checked = false, hint } = {}) {
  const input = h('input', { type: 'checkbox', id: uid('check'), checked });
  const hintEl = hint ? h('span', { class: 'hint', id: `${input.id}-hint` }, hint) : null;
  if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
  const wrap = h('div', { class: 'check-field' }, input,
    h('div', {}, h('label', { for: input.id }, label), hintEl ? h('br') : null, hintEl));
  wrap.input = input;
  return wrap;
}

/**
 * "japanese: Summer Sale = サマーセール", one per line → {source: {language: text}}.
 * Languages by id or English name. Throws Error naming the line that cannot be read.
 */
function parseTranslations(text, languages) {
  const byName = new Map();
  for (const language of languages) {
    byName.set(language.id.toLowerCase(), language.id);
    byName.set(language.english_name.toLowerCase(), language.id);
  }
  const out = {};
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    const match = line.match(/^([^:=]+):\s*(.+?)\s*=\s*(.+)$/);
    const language = match && byName.get(match[1].trim().toLowerCase());
    if (!match || !language) {
      throw new Error(`Your translations, line ${index + 1}: write it as “language: source text = translation”, e.g. “japanese: Summer Sale = サマーセール”`);
    }
    out[match[2]] = { ...(out[match[2]] || {}), [language]: match[3] };
  });
  return out;
}

function optionsBlock(catalog, engines) {
  const available = (id) => engines[`localize:${id}`] && engines[`localize:${id}`].available;
  const firstReady = ENGINES.map(([id]) => id).find(available) || 'gemini';
  const engine = select(ENGINES.map(([id, label]) => [id, available(id) || !Object.keys(engines).length ? label : `${label} (not set up on this server)`]),
    { value: firstReady, name: 'engine' });
  const source = select(catalog.languages.map((l) => [l.id, `${l.english_name} (${l.native_name})`]), { value: 'english', name: 'source_language' });
  const ratio = select(RATIOS, { value: 'keep', name: 'aspect_ratio' });
  const size = select(SIZES, { value: '1K', name: 'image_size' });
  const people = checkbox('Keep the people as they are', { hint: 'Otherwise people are adapted to each market, same pose and framing (Gemini only).' });
  const watermark = checkbox('Remove known watermarks from the results', { checked: true });
  const terms = h('textarea', { name: 'brand_terms', rows: 2 });
  const translations = h('textarea', { name: 'translations', rows: 3, spellcheck: false });
  const engineHint = Object.entries(engines).filter(([k]) => k.startsWith('localize:'))
    .map(([k, v]) => `${k.slice(9)}: ${v.available ? 'ready' : v.detail}`).join('; ');
  const box = h('fieldset', { class: 'localize-options' },
    h('legend', {}, 'Options'),
    field('Engine', engine, engineHint ? `On this server — ${engineHint}.` : null),
    field('Language of the ad', source),
    field('Shape (aspect ratio)', ratio),
    field('Size', size),
    people, watermark,
    h('details', { class: 'more-options' },
      h('summary', {}, 'Brand terms and your own translations'),
      field('Brand terms (optional)', terms, 'One per line; never translated, e.g. product names.'),
      field('Your translations (optional)', translations,
        'One per line: language: source text = translation, e.g. “japanese: Summer Sale = サマーセール”. Relayout draws them as given; Gemini uses them as a glossary.')));
  box.params = () => {
    const params = {
      engine: engine.value,
      source_language: source.value,
      aspect_ratio: ratio.value,
      image_size: size.value,
      preserve_people: people.input.checked,
      remove_watermark: watermark.input.checked,
      brand_terms: terms.value.split('\n').map((t) => t.trim()).filter(Boolean),
    };
    const parsed = parseTranslations(translations.value, catalog.languages);
    if (Object.keys(parsed).length) params.translations = parsed;
    return params;
  };
  return box;
}

function marketResult(entry, market, language, outputs) {
  const name = market ? market.name : entry.market;
  const languageName = language ? language.english_name : entry.language;
  const status = entry.status || 'queued';
  const output = entry.output && outputs.get(entry.output);
  const thumb = (entry.thumbnail && outputs.get(entry.thumbnail)) || output;
  let statusText = STATUS[status] || status;
  if (status === 'failed' && entry.error) statusText = `Failed: ${entry.error.message} (${entry.error.code})`;
  const headingId = uid('market');
  return h('li', { class: 'market-result', dataset: { market: entry.market, status } },
    h('article', { 'aria-labelledby': headingId },
      h('h4', { id: headingId }, flagFor(entry.market), name),
      h('p', { class: 'market-lang' }, language ? `${languageName} · ${language.native_name}` : languageName),
      h('p', { class: 'market-status', role: status === 'failed' ? 'alert' : null }, statusText),
      output && output.url && thumb && thumb.url
        ? [h('a', { href: output.url, class: 'market-open' },
          h('img', {
            src: thumb.url, alt: `Your ad localized for ${name} (${languageName})`,
            // its size reserves the room before it loads (the link is never a sliver)
            width: thumb.width || null, height: thumb.height || null,
          })),
        h('a', { href: output.url, download: '', class: 'button-link small' },
          `Download ${name} (${extensionFor(output.content_type).toUpperCase()})`)]
        : (status === 'succeeded' ? h('p', { class: 'hint' }, 'Ready; the image shows here when every market is finished.') : null),
      (entry.warnings || []).length
        ? h('ul', { class: 'hint' }, entry.warnings.map((w) => h('li', {}, w)))
        : null));
}

/** The per-market list in a job card; each market's item is rebuilt when its status changes. */
function marketsRenderer(card, job, catalog, chosen) {
  const list = h('ul', { class: 'market-results', 'aria-label': 'Results by market' });
  const archive = h('div', { class: 'localize-archive' });
  replace(card.result, archive, list);
  const items = new Map();
  const update = (entries, outputs) => {
    for (const entry of entries) {
      const key = `${entry.market}/${entry.language}`;
      const output = entry.output && outputs.get(entry.output);
      const state = `${entry.status}/${output && output.url ? 'linked' : 'unlinked'}`;
      const known = items.get(key);
      if (known && known.state === state) continue;
      const item = marketResult(entry, catalog.market(entry.market), catalog.language(entry.language), outputs);
      if (known) known.el.replaceWith(item);
      else list.append(item);
      items.set(key, { el: item, state });
    }
  };
  update(chosen.map((m) => ({ market: m.id, language: m.languages[0], status: 'queued' })), new Map());
  return (result, outputs = new Map(), { final = false } = {}) => {
    update((result && result.languages) || [], outputs);
    if (final) {
      const problem = h('div', {});
      const button = h('button', { type: 'button' }, 'Download all markets (ZIP)');
      button.addEventListener('click', async () => {
        button.disabled = true;
        replace(problem);
        try {
          await saveFromApi(`/v1/localizations/${encodeURIComponent(job.id)}/archive`, `localized-ads-${job.id}.zip`);
        } catch (error) {
          replace(problem, errorBox(error));
        } finally {
          button.disabled = false;
        }
      });
      replace(archive, button, problem);
    }
  };
}

async function loadCatalog() {
  const [markets, languages] = await Promise.all([
    api('/v1/localization/markets'), api('/v1/localization/languages')]);
  const byMarket = new Map(markets.data.map((m) => [m.id, m]));
  const byLanguage = new Map(languages.data.map((l) => [l.id, l]));
  return {
    version: markets.version,
    markets: markets.data,
    languages: languages.data,
    market: (id) => byMarket.get(id),
    language: (id) => byLanguage.get(id),
  };
}

/** Submit the job and put its card at the top of the results. */
async function startJob({ catalog, chosen, upload, params, results, signal }) {
  const job = await createJob({ kind: 'localize', input: [{ upload_id: upload.id }], params });
  const card = liveResultCard(job, {
    title: `Ad for ${chosen.map((m) => m.name).join(', ')}`,
    signal,
    renderer: (target) => marketsRenderer(target, job, catalog, chosen),
  });
  // A job that failed (every market did) still shows each market's own error.
  card.done.then((finished) => {
    if (finished && finished.status !== 'succeeded') card.show(finished.result, outputsById(finished));
  });
  results.add(card);
}

function localizeForm({ catalog, engines, results, signal }) {
  const picker = uploadPicker({ label: 'ad image', multiple: false });
  const markets = marketChooser(catalog);
  const options = optionsBlock(catalog, engines);
  const submit = () => {
    const chosen = markets.selected();
    if (!picker.uploads.length) throw new Error('Choose the ad image first.');
    if (!chosen.length) throw new Error('Tick at least one market.');
    const params = { ...options.params(), target_markets: chosen.map((m) => m.id) };
    return startJob({ catalog, chosen, upload: picker.uploads[0], params, results, signal });
  };
  const form = formCard({ title: 'Your ad and markets', className: 'localize-form', submitLabel: 'Localize',
    showError: problemBox, onSubmit: submit },
    h('fieldset', {}, h('legend', {}, 'The ad'), picker),
    markets, options,
    h('p', { class: 'hint' }, '3 credits per market, charged only for the markets that succeed.'));
  form.dispose = () => picker.dispose();
  return form;
}

/** The view once the catalog and the engines are known; returns its dispose function. */
async function build(root, signal) {
  const [catalog, engines] = await Promise.all([loadCatalog(), readyEngines()]);
  if (signal.aborted) return () => {};
  const results = jobResults({
    title: 'Results', className: 'localize-results',
    emptyText: 'Each market’s version appears here as soon as it is made.',
  });
  const form = localizeForm({ catalog, engines, results, signal });
  replace(root, ...viewFrame('Localize',
    'One ad in, a version per market out: text translated in the market’s script, people and details adapted, at the size you ask.',
    h('div', { class: 'localize-layout' }, form, results)));
  return form.dispose;
}

export function render(root) {
  return viewAfterLoading(root, 'Localize', 'Loading the markets…', (signal) => build(root, signal));
}
