// Color modes of the head view: what each point's color means, and the legend that says so.
// Every mode gives one opaque RGBA per row (2N rows: queries, then keys); the view adds dimming on top.
import type { Norms, Tokens } from './data';
import { KEY, QUERY, keyRamp, queryRamp, type RGBA } from './colors';

export type ColorMode = 'kind' | 'position' | 'token' | 'sentence' | 'norm' | 'flag';

export const COLOR_MODES: { id: ColorMode; label: string }[] = [
  { id: 'kind', label: 'query / key' },
  { id: 'position', label: 'position' },
  { id: 'token', label: 'token' },
  { id: 'sentence', label: 'sentence' },
  { id: 'norm', label: 'q / k norm' },
  { id: 'flag', label: 'special / punctuation' },
];

/** One line of the legend: a swatch (or a light → dark gradient) and what it stands for. */
export interface LegendEntry { label: string; color?: RGBA; gradient?: [RGBA, RGBA] }

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
function hsl(h: number, s: number, l: number): RGBA {
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

  switch (mode) {
    case 'kind':
      for (let t = 0; t < n; t++) { put(t, QUERY); put(n + t, KEY); }
      return { colors, legend: [{ label: 'query', color: QUERY }, { label: 'key', color: KEY }] };

    case 'position':
      for (let t = 0; t < n; t++) { put(t, queryRamp(tokens.positionNorm[t])); put(n + t, keyRamp(tokens.positionNorm[t])); }
      return {
        colors,
        legend: [
          { label: 'query: first → last token of its sentence', gradient: [queryRamp(0), queryRamp(1)] },
          { label: 'key: first → last token of its sentence', gradient: [keyRamp(0), keyRamp(1)] },
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
          label: sentences > PALETTE.length ? `sentence ${s}, ${s + PALETTE.length}, …` : `sentence ${s}`, color: c,
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
  }
}
