// Color modes of the head view: what each point's color means, and the legend that says so.
// Every mode gives one opaque RGBA per row (2N rows: queries, then keys); the view adds dimming on top.
import type { Norms, Tokens } from './data';
import { KEY, QUERY, keyRamp, queryRamp, type RGBA } from './colors';

export type ColorMode = 'kind' | 'position' | 'token' | 'sentence' | 'norm' | 'flag'
  | 'patchColor' | 'hue' | 'brightness' | 'patchRow' | 'patchCol';

/** Every mode, with the run kinds it applies to (text modes need words; image modes need tokens.arrow's patch columns). */
export const COLOR_MODES: { id: ColorMode; label: string; imageLabel?: string; kinds: ('text' | 'images')[] }[] = [
  { id: 'kind', label: 'query / key', kinds: ['text', 'images'] },
  { id: 'position', label: 'position', kinds: ['text', 'images'] },
  { id: 'patchColor', label: 'patch colour', kinds: ['images'] },
  { id: 'hue', label: 'hue', kinds: ['images'] },
  { id: 'brightness', label: 'brightness', kinds: ['images'] },
  { id: 'patchRow', label: 'patch row', kinds: ['images'] },
  { id: 'patchCol', label: 'patch column', kinds: ['images'] },
  { id: 'token', label: 'token', kinds: ['text'] },
  { id: 'sentence', label: 'sentence', imageLabel: 'image', kinds: ['text', 'images'] },
  { id: 'norm', label: 'q / k norm', kinds: ['text', 'images'] },
  { id: 'flag', label: 'special / punctuation', kinds: ['text'] },
];

/** The modes offered for a run of this kind, with their labels there. */
export const colorModesFor = (kind: 'text' | 'images') => COLOR_MODES
  .filter((m) => m.kinds.includes(kind))
  .map((m) => ({ id: m.id, label: kind === 'images' ? m.imageLabel ?? m.label : m.label }));

/** One line of the legend: a swatch (or a light → dark gradient) and what it stands for. */
export interface LegendEntry { label: string; color?: RGBA; gradient?: RGBA[] } // gradient: 2 or more stops, left → right

export interface Coloring { colors: Uint8Array; legend: LegendEntry[]; note?: string } // colors: [2N, rgba]

/** 12 well-separated categorical colors (tokens, sentences). */
export const PALETTE: RGBA[] = [
  [31, 119, 180, 255], [255, 127, 14, 255], [44, 160, 44, 255], [214, 39, 40, 255],
  [148, 103, 189, 255], [140, 86, 75, 255], [227, 119, 194, 255], [127, 127, 127, 255],
  [188, 189, 34, 255], [23, 190, 207, 255], [0, 0, 128, 255], [128, 128, 0, 255],
];

export const SPECIAL: RGBA = [230, 120, 0, 255];
export const PUNCT: RGBA = [40, 80, 210, 255];
const PLAIN_QUERY: RGBA = [190, 225, 195, 255], PLAIN_KEY: RGBA = [240, 200, 220, 255];

/** FNV-1a over the UTF-16 code units of a token's text. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) { h ^= text.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
  return h;
}

/** HSL (h in degrees, s and l 0..1) to RGBA bytes. */
export function hsl(h: number, s: number, l: number): RGBA {
  const k = (n: number) => (n + h / 30) % 12, a = s * Math.min(l, 1 - l);
  const f = (n: number) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1))));
  return [f(0), f(8), f(4), 255];
}

/** The same text always gets the same color: hue from the hash, with a little spread in saturation and lightness
 *  (hundreds of distinguishable colors; a fixed palette of 12 made frequent tokens collide). */
export function tokenColor(text: string): RGBA {
  const h = fnv1a(text);
  return hsl(h % 360, 0.55 + 0.3 * ((h >>> 9) % 4) / 3, 0.38 + 0.14 * ((h >>> 11) % 3) / 2);
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

function range(a: Float32Array) {
  let lo = Infinity, hi = -Infinity;
  for (const v of a) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return { lo, hi, span: Math.max(hi - lo, 1e-12) };
}

/** Colors for every row under a mode; `norms` is needed (only) for 'norm'. */
export function colorRows(mode: ColorMode, tokens: Tokens, norms: Norms | null): Coloring {
  const n = tokens.count;
  const colors = new Uint8Array(2 * n * 4);
  const put = (row: number, c: RGBA) => { colors[4 * row] = c[0]; colors[4 * row + 1] = c[1]; colors[4 * row + 2] = c[2]; colors[4 * row + 3] = 255; };
  const unit = tokens.patches ? 'image' : 'sentence';

  switch (mode) {
    case 'kind':
      for (let t = 0; t < n; t++) { put(t, QUERY); put(n + t, KEY); }
      return { colors, legend: [{ label: 'query', color: QUERY }, { label: 'key', color: KEY }] };

    case 'position':
      for (let t = 0; t < n; t++) { put(t, queryRamp(tokens.positionNorm[t])); put(n + t, keyRamp(tokens.positionNorm[t])); }
      return {
        colors,
        legend: [
          { label: `query: first → last token of its ${unit}`, gradient: [queryRamp(0), queryRamp(1)] },
          { label: `key: first → last token of its ${unit}`, gradient: [keyRamp(0), keyRamp(1)] },
        ],
      };

    case 'token': {
      const count = new Map<string, number>();
      for (let t = 0; t < n; t++) {
        const c = tokenColor(tokens.text[t]);
        put(t, c); put(n + t, c);
        count.set(tokens.text[t], (count.get(tokens.text[t]) ?? 0) + 1);
      }
      const top = [...count.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 8);
      return {
        colors,
        legend: top.map(([text, c]) => ({ label: `${text} (${c})`, color: tokenColor(text) })),
        note: 'color from a hash of the token\'s text (same text, same color; similar colors mean nothing); queries and keys alike; most frequent shown',
      };
    }

    case 'sentence': {
      for (let t = 0; t < n; t++) { const c = PALETTE[tokens.sentence[t] % PALETTE.length]; put(t, c); put(n + t, c); }
      const sentences = tokens.firstTokenOfSentence.length;
      return {
        colors,
        legend: PALETTE.slice(0, Math.min(sentences, PALETTE.length)).map((c, s) => ({
          label: sentences > PALETTE.length ? `${unit} ${s}, ${s + PALETTE.length}, …` : `${unit} ${s}`, color: c,
        })),
        note: 'queries and keys alike',
      };
    }

    case 'norm': {
      if (!norms) throw new Error('color by norm needs the head\'s qk.arrow');
      const q = range(norms.q), k = range(norms.k);
      for (let t = 0; t < n; t++) {
        put(t, queryRamp((norms.q[t] - q.lo) / q.span));
        put(n + t, keyRamp((norms.k[t] - k.lo) / k.span));
      }
      return {
        colors,
        legend: [
          { label: `‖q‖ ${fmt(q.lo)} → ${fmt(q.hi)}`, gradient: [queryRamp(0), queryRamp(1)] },
          { label: `‖k‖ ${fmt(k.lo)} → ${fmt(k.hi)}`, gradient: [keyRamp(0), keyRamp(1)] },
        ],
        note: 'raw vector norms (before key translation and scale matching)',
      };
    }

    case 'flag': {
      let special = 0, punct = 0;
      for (let t = 0; t < n; t++) {
        const s = tokens.isSpecial[t] === 1, p = !s && tokens.isPunct[t] === 1;
        special += +s; punct += +p;
        put(t, s ? SPECIAL : p ? PUNCT : PLAIN_QUERY);
        put(n + t, s ? SPECIAL : p ? PUNCT : PLAIN_KEY);
      }
      return {
        colors,
        legend: [
          { label: `special token (${special})`, color: SPECIAL },
          { label: `punctuation (${punct})`, color: PUNCT },
          { label: 'other query', color: PLAIN_QUERY },
          { label: 'other key', color: PLAIN_KEY },
        ],
      };
    }

    case 'patchColor': {
      const p = patchesOf(tokens, mode);
      for (let t = 0; t < n; t++) { const c: RGBA = [255 * p.r[t], 255 * p.g[t], 255 * p.b[t], 255]; put(t, c); put(n + t, c); }
      return {
        colors, legend: [],
        note: 'each point in its patch\'s mean colour (as the model sees the image); [CLS]: the whole image\'s; queries and keys alike',
      };
    }

    case 'hue': {
      const p = patchesOf(tokens, mode);
      let grey = 0;
      for (let t = 0; t < n; t++) {
        const low = p.saturation[t] < MIN_SATURATION;
        grey += +low;
        const c = low ? GREY : hueColor(p.hue[t]);
        put(t, c); put(n + t, c);
      }
      return {
        colors,
        legend: [
          { label: 'hue 0 → 1 (red, yellow, green, cyan, blue, magenta, red)', gradient: [0, 1, 2, 3, 4, 5, 6].map((i) => hueColor(i / 6)) },
          { label: `saturation < ${MIN_SATURATION}: no clear hue (${grey})`, color: GREY },
        ],
        note: 'hue of the patch\'s mean colour, on a cyclic colour wheel; queries and keys alike',
      };
    }

    case 'brightness': {
      const p = patchesOf(tokens, mode);
      for (let t = 0; t < n; t++) { const c = greyRamp(p.brightness[t]); put(t, c); put(n + t, c); }
      return {
        colors,
        legend: [{ label: 'brightness 0 → 1 (mean luma of the patch)', gradient: [greyRamp(0), greyRamp(1)] }],
        note: 'queries and keys alike',
      };
    }

    case 'patchRow':
    case 'patchCol': {
      const p = patchesOf(tokens, mode);
      const index = mode === 'patchRow' ? p.row : p.col, what = mode === 'patchRow' ? 'row' : 'column';
      let count = 1;
      for (const v of index) count = Math.max(count, v + 1);
      const last = Math.max(count - 1, 1);
      for (let t = 0; t < n; t++) {
        if (index[t] < 0) { put(t, SPECIAL); put(n + t, SPECIAL); continue; }
        put(t, queryRamp(index[t] / last)); put(n + t, keyRamp(index[t] / last));
      }
      const ends = mode === 'patchRow' ? ['top', 'bottom'] : ['left', 'right'];
      return {
        colors,
        legend: [
          { label: `query: ${what} 0 (${ends[0]}) → ${count - 1} (${ends[1]})`, gradient: [queryRamp(0), queryRamp(1)] },
          { label: `key: ${what} 0 (${ends[0]}) → ${count - 1} (${ends[1]})`, gradient: [keyRamp(0), keyRamp(1)] },
          { label: '[CLS]', color: SPECIAL },
        ],
      };
    }
  }
}

/** Below this HSV saturation a patch has no clear hue (its hue is noise, or 0 by convention): drawn grey. */
export const MIN_SATURATION = 0.1;
export const GREY: RGBA = [150, 150, 150, 255];

/** The cyclic hue wheel (hue 0..1, 0 and 1 both red), fully saturated, mid lightness. */
export const hueColor = (hue: number): RGBA => hsl(360 * (((hue % 1) + 1) % 1), 0.9, 0.5);

/** Brightness 0 → near black, 1 → light grey (pure white would vanish on the white background). */
export const greyRamp = (v: number): RGBA => {
  const g = 20 + 200 * Math.min(1, Math.max(0, v));
  return [g, g, g, 255];
};

function patchesOf(tokens: Tokens, mode: ColorMode) {
  if (!tokens.patches) throw new Error(`color by ${mode} needs an image run (tokens.arrow has no patch columns)`);
  return tokens.patches;
}
