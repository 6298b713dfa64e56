// Logo studio: describe the business, get a grid of logo variants as they are made
// (each with its palette and downloads), then the brand kit ZIP. Job kind `logo`.

import { createJob, jobResults } from '../jobs.js';
import { h, field, formCard, select, replace, viewFrame, uid } from '../ui.js';
import { liveResultCard, problemBox } from '../results.js';

const STYLES = [
  ['modern', 'Modern — clean and confident'],
  ['classic', 'Classic — traditional, with serifs'],
  ['minimal', 'Minimal — simple and quiet'],
  ['playful', 'Playful — rounded and friendly'],
  ['bold', 'Bold — heavy and loud'],
  ['elegant', 'Elegant — refined, luxury'],
  ['tech', 'Tech — sharp and futuristic'],
  ['geometric', 'Geometric — abstract shapes'],
];
const MAX_COLOURS = 5;
const SUGGESTED = ['#e4572e', '#1b998b', '#3b3bb3', '#f3a712', '#29335c'];
const PNG_LABELS = [
  ['512-transparent', 'PNG 512 px, transparent'],
  ['512-white', 'PNG 512 px, on white'],
  ['1024-transparent', 'PNG 1024 px, transparent'],
  ['1024-white', 'PNG 1024 px, on white'],
];
const SWATCHES = [['primary', 'Primary'], ['secondary', 'Secondary'], ['accent', 'Accent'], ['ink', 'Text']];

/** Up to five colour pickers with Add/Remove buttons; `.values()` → ['#rrggbb', …]. */
function colourPicker() {
  const list = h('ul', { class: 'logo-colours', 'aria-label': 'Brand colours chosen' });
  const add = h('button', { type: 'button', class: 'secondary small' }, 'Add a colour');
  const box = h('fieldset', { class: 'logo-colour-box' },
    h('legend', {}, 'Brand colours (optional)'),
    h('p', { class: 'hint' }, 'None: pictor picks palettes for the style. One: schemes built around it. Two or three: used as given.'),
    list, add);
  const inputs = [];
  const renumber = () => {
    inputs.forEach((input, i) => {
      input.labels[0].textContent = `Colour ${i + 1}`;
      input.parentElement.querySelector('button').setAttribute('aria-label', `Remove colour ${i + 1}`);
    });
    add.hidden = inputs.length >= MAX_COLOURS;
  };
  add.addEventListener('click', () => {
    const input = h('input', { type: 'color', id: uid('colour'), value: SUGGESTED[inputs.length % SUGGESTED.length] });
    const remove = h('button', { type: 'button', class: 'secondary small' }, 'Remove');
    const item = h('li', {}, h('label', { for: input.id }, ''), input, remove);
    remove.addEventListener('click', () => {
      inputs.splice(inputs.indexOf(input), 1);
      item.remove();
      renumber();
      add.focus();
    });
    inputs.push(input);
    list.append(item);
    renumber();
    input.focus();
  });
  box.values = () => inputs.map((input) => input.value);
  return box;
}

function logoForm(onSubmit) {
  const name = h('input', { type: 'text', name: 'business_name', required: true, maxlength: 60, autocomplete: 'organization' });
  const type = h('input', { type: 'text', name: 'business_type', maxlength: 100 });
  const description = h('textarea', { name: 'description', maxlength: 1000, rows: 3 });
  const style = select(STYLES, { value: 'modern', name: 'style' });
  const colours = colourPicker();
  const variants = h('input', { type: 'number', name: 'variants', min: 1, max: 24, value: 6, required: true });
  const seed = h('input', { type: 'number', name: 'seed', min: 0, step: 1, inputmode: 'numeric' });
  const params = () => {
    const out = {
      business_name: name.value,
      business_type: type.value,
      description: description.value,
      style: style.value,
      colors: colours.values(),
      variants: Number(variants.value),
    };
    if (seed.value !== '') out.seed = Number(seed.value);
    return out;
  };
  return formCard({ title: 'Describe your business', className: 'logo-form', submitLabel: 'Design logos',
    showError: problemBox, onSubmit: () => onSubmit(params()) },
    field('Business name', name, 'As it should appear in the logo (up to 60 characters).'),
    field('What the business does (optional)', type, 'For example: bakery, AI consulting, dog grooming. It picks the icons.'),
    field('A few words about it (optional)', description, 'Also used to find the industry.'),
    field('Style', style),
    colours,
    field('Number of variants', variants, '1 to 24; each variant is a different mark, layout, palette or typeface. 1 credit per job.'),
    h('details', { class: 'more-options' },
      h('summary', {}, 'More options'),
      field('Seed (optional)', seed, 'The same details and seed always give the same logos. Empty: pictor derives one from the details.')));
}

function markText(variant) {
  if (variant.mark === 'icon' && variant.icon) return `${variant.icon.replace(/-/g, ' ')} icon`;
  return `${variant.mark} mark`;
}

function paletteBlock(variant) {
  const palette = variant.palette || {};
  return h('div', { class: 'logo-palette' },
    h('p', { class: 'logo-palette-name' }, `${palette.name || 'Custom'} palette`),
    h('ul', { class: 'swatches', 'aria-label': `Colours of the ${palette.name || 'custom'} palette, variant ${variant.variant}` },
      SWATCHES.filter(([key]) => palette[key]).map(([key, label]) => h('li', {},
        h('span', { class: 'swatch', 'aria-hidden': 'true', style: { backgroundColor: palette[key] } }),
        h('span', {}, `${label} `, h('code', {}, palette[key]))))));
}

function downloadLinks(variant, outputs) {
  const links = [['SVG', variant.svg], ...PNG_LABELS.map(([key, label]) => [label, (variant.png || {})[key]])];
  return h('ul', { class: 'logo-downloads', 'aria-label': `Downloads of variant ${variant.variant}` },
    links.filter(([, id]) => outputs.get(id) && outputs.get(id).url).map(([label, id]) => h('li', {},
      h('a', { href: outputs.get(id).url, download: '', class: 'button-link small' },
        h('span', { class: 'visually-hidden' }, `Download variant ${variant.variant} as `), label))));
}

function variantTile(variant, businessName) {
  const palette = variant.palette || {};
  const colours = ['primary', 'secondary', 'accent'].map((k) => palette[k]).filter(Boolean).join(', ');
  const fonts = (variant.fonts || []).map((f) => `${f.family} ${f.weight}`).join(', ');
  const headingId = uid('variant');
  const alt = `${businessName} logo, variant ${variant.variant}: ${markText(variant)}, ${variant.layout} layout, `
    + `${palette.name || 'custom'} palette (${colours})`;
  const preview = h('div', { class: 'logo-preview logo-pending' }, h('p', {}, 'Preview when every variant is ready'));
  const downloads = h('div', { class: 'logo-variant-downloads' });
  const tile = h('li', { class: 'logo-variant', dataset: { variant: variant.variant } },
    h('article', { 'aria-labelledby': headingId },
      h('h4', { id: headingId }, `Variant ${variant.variant}`),
      preview,
      h('p', { class: 'logo-facts' }, `${markText(variant)} · ${variant.layout} layout${fonts ? ` · ${fonts}` : ''}`),
      paletteBlock(variant),
      downloads));
  /** Show the preview and the download links once the outputs have links. */
  tile.fill = (outputs) => {
    const svg = outputs.get(variant.svg);
    if (!svg || !svg.url) return false;
    preview.replaceWith(h('img', { src: svg.url, alt, class: 'logo-preview checker' }));
    replace(downloads, downloadLinks(variant, outputs));
    return true;
  };
  return tile;
}

/**
 * Render into a job card. While the job runs, `show(result)` adds each new variant (its
 * mark, layout, palette and typeface); `show(result, outputs)` with the finished job's
 * outputs adds the previews, the download links and the brand kit.
 */
function variantsRenderer(card, businessName) {
  const grid = h('ul', { class: 'logo-grid', 'aria-label': `Logo variants for ${businessName}` });
  const kit = h('div', { class: 'logo-kit' });
  replace(card.result, kit, grid);
  const tiles = new Map();
  return (result, outputs = new Map()) => {
    for (const variant of (result && result.variants) || []) {
      let tile = tiles.get(variant.variant);
      if (!tile) {
        tile = variantTile(variant, businessName);
        tile.filled = false;
        tiles.set(variant.variant, tile);
        grid.append(tile);
      }
      if (!tile.filled) tile.filled = tile.fill(outputs);
    }
    const zip = result && outputs.get(result.brand_kit);
    if (zip && zip.url) {
      replace(kit,
        h('a', { href: zip.url, download: '', class: 'button-link logo-kit-link' }, 'Download brand kit (ZIP)'),
        h('p', { class: 'hint' }, 'Every variant as SVG and PNG, icons, favicons (16, 32, 180, 512 px), palette.json and a README.'));
    }
  };
}

export function render(root) {
  const controller = new AbortController();
  const results = jobResults({ title: 'Your logos', className: 'logo-results', emptyText: 'Variants appear here as they are designed.' });

  const start = async (params) => {
    const job = await createJob({ kind: 'logo', input: [], params });
    const name = (job.params && job.params.business_name) || params.business_name;
    results.add(liveResultCard(job, {
      title: `Logos for “${name}”`,
      signal: controller.signal,
      renderer: (card) => variantsRenderer(card, name),
    }));
  };

  replace(root, ...viewFrame('Logo studio',
    'Describe the business; pictor designs logo variants (mark, layout, palette, typeface) and a brand kit to download. No AI model, no upload needed.',
    h('div', { class: 'logo-layout' }, logoForm(start), results)));
  return () => controller.abort();
}
