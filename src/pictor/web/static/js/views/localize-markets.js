// The market chooser of the localize view: flags and names as checkboxes, a filter box,
// the count chosen. Flags are emoji (regional indicators), never images from the net.

import { h, field, uid } from '../ui.js';

// Market id → ISO 3166 country code for its flag; a region (the Gulf states) gets a globe.
const COUNTRY = {
  brazil: 'BR', china: 'CN', france: 'FR', germany: 'DE', india: 'IN', indonesia: 'ID',
  italy: 'IT', japan: 'JP', russia: 'RU', south_korea: 'KR', spain: 'ES', taiwan: 'TW',
  thailand: 'TH', uk: 'GB', usa: 'US', vietnam: 'VN',
};

/** The flag emoji of a market id ("japan" → 🇯🇵), a globe for regions and unknown ids. */
export function flagEmoji(marketId) {
  const code = COUNTRY[marketId];
  if (!code) return '🌍';
  return String.fromCodePoint(...[...code].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

let emojiFlags = null;
/**
 * Whether this browser draws flag emoji: a flag is one glyph where a font has it, two
 * letter boxes where none does (many Linux and Windows set-ups). Measured once.
 */
function drawsFlags() {
  if (emojiFlags === null) {
    const context = document.createElement('canvas').getContext('2d');
    if (!context) return (emojiFlags = false);
    context.font = '32px sans-serif';
    const pair = context.measureText('🇯🇵').width;
    const single = context.measureText('🇯').width;
    emojiFlags = pair > 0 && pair < single * 1.5;
  }
  return emojiFlags;
}

/**
 * A market's flag as an element hidden from screen readers (the name says it): the emoji
 * where the browser draws it, else the country code as text ("JP", "GCC").
 */
export function flagFor(marketId) {
  if (drawsFlags()) return h('span', { class: 'flag', 'aria-hidden': 'true' }, flagEmoji(marketId));
  const code = COUNTRY[marketId] || (marketId === 'middle_east' ? 'GCC' : marketId.slice(0, 3).toUpperCase());
  return h('span', { class: 'flag flag-text', 'aria-hidden': 'true' }, code);
}

/**
 * A fieldset of market checkboxes. `catalog` is {version, markets, language(id)}.
 * `.selected()` → the chosen markets, in the catalog's order.
 */
export function marketChooser(catalog) {
  const count = h('p', { class: 'market-count', 'aria-live': 'polite' }, 'No market chosen');
  const filter = h('input', { type: 'search', autocomplete: 'off', spellcheck: false });
  const clear = h('button', { type: 'button', class: 'secondary small' }, 'Clear choices');
  const list = h('ul', { class: 'market-list', 'aria-label': 'Markets' });
  const boxes = [];
  const refresh = () => {
    const chosen = boxes.filter((b) => b.input.checked);
    count.textContent = chosen.length === 0 ? 'No market chosen'
      : `${chosen.length} ${chosen.length === 1 ? 'market' : 'markets'} chosen: ${chosen.map((b) => b.market.name).join(', ')}`;
  };
  for (const market of catalog.markets) {
    const languages = market.languages.map((id) => catalog.language(id)).filter(Boolean);
    const spoken = languages.map((l) => l.english_name).join(', ');
    const input = h('input', { type: 'checkbox', id: uid('market'), value: market.id, name: 'target_markets', onchange: refresh });
    const item = h('li', { dataset: { market: market.id } },
      h('label', { for: input.id }, input,
        flagFor(market.id),
        h('span', {}, market.name, h('br'), h('span', { class: 'market-lang' }, `in ${languages[0] ? languages[0].english_name : market.languages[0]}`))));
    const haystack = [market.id, market.name, market.region, spoken, ...languages.map((l) => l.native_name)]
      .join(' ').toLowerCase();
    boxes.push({ market, input, item, haystack });
    list.append(item);
  }
  const empty = h('p', { class: 'hint', hidden: true }, 'No market matches the filter.');
  filter.addEventListener('input', () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const box of boxes) {
      box.item.hidden = !words.every((w) => box.haystack.includes(w));
      if (!box.item.hidden) shown += 1;
    }
    empty.hidden = shown > 0;
  });
  clear.addEventListener('click', () => {
    for (const box of boxes) box.input.checked = false;
    refresh();
  });
  const legendId = uid('markets');
  const box = h('fieldset', { class: 'market-chooser', 'aria-describedby': `${legendId}-hint` },
    h('legend', { id: legendId }, 'Markets'),
    h('p', { class: 'hint', id: `${legendId}-hint` }, `Each market gets its main language (catalog ${catalog.version}).`),
    h('div', { class: 'market-filter' }, field('Filter markets', filter, 'By country, region or language.'), clear),
    count, list, empty);
  box.selected = () => boxes.filter((b) => b.input.checked).map((b) => b.market);
  return box;
}
