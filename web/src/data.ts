// Columnar data of a run held in the browser: tokens once, projections per head (cached).
import { fetchArrow, type HeadInfo } from './api';

export interface Tokens {
  count: number;                // N
  text: string[];               // [N]
  sentence: Int32Array;         // [N]
  position: Int32Array;         // [N]
  positionNorm: Float32Array;   // [N] 0..1
  sentenceLength: Int32Array;   // [N]
  firstTokenOfSentence: Int32Array; // [sentences]
  isSpecial: Uint8Array;        // [N] 1 = added by the tokenizer
  isPunct: Uint8Array;          // [N] 1 = every character is punctuation
  /** image runs only (tokens.arrow's extra columns); null for text runs */
  patches: PatchColumns | null;
}

/** Per token of an image run: which image and patch, and the patch's mean colour (docs/run-format.md). */
export interface PatchColumns {
  image: Int32Array;            // [N] image id (= sentence)
  row: Int32Array;              // [N] patch row from 0 (top), −1 for [CLS]
  col: Int32Array;              // [N] patch column from 0 (left), −1 for [CLS]
  r: Float32Array; g: Float32Array; b: Float32Array; // [N] mean colour 0..1 ([CLS]: the whole image's)
  hue: Float32Array;            // [N] HSV hue 0..1 (0 red, 1/3 green, 2/3 blue); 0 when saturation is 0
  saturation: Float32Array;     // [N] 0..1
  brightness: Float32Array;     // [N] mean luma 0..1
}

/** 2N points: rows 0..N-1 queries of tokens 0..N-1, rows N..2N-1 their keys; z only for 3D projections. */
export interface Projection { x: Float32Array; y: Float32Array; z: Float32Array | null }

/** ‖q‖ and ‖k‖ of every token for one head (qk.arrow). */
export interface Norms { q: Float32Array; k: Float32Array } // [N] each

function f32(col: { toArray(): ArrayLike<number> } | null, name: string): Float32Array {
  if (!col) throw new Error(`column ${name} missing`);
  return Float32Array.from(col.toArray());
}
function bools(col: Iterable<boolean | null> | null, name: string): Uint8Array {
  if (!col) throw new Error(`tokens.arrow: column ${name} missing`);
  return Uint8Array.from(col, (v) => (v ? 1 : 0));
}
function i32(col: { toArray(): ArrayLike<number> } | null, name: string): Int32Array {
  if (!col) throw new Error(`column ${name} missing`);
  return Int32Array.from(col.toArray());
}

export async function loadTokens(): Promise<Tokens> {
  const [t, s] = await Promise.all([fetchArrow('tokens.arrow'), fetchArrow('sentences.arrow')]);
  const textCol = t.getChild('text');
  if (!textCol) throw new Error('tokens.arrow: column text missing');
  return {
    count: t.numRows,
    text: Array.from(textCol.toArray() as Iterable<string>),
    sentence: i32(t.getChild('sentence'), 'sentence'),
    position: i32(t.getChild('position'), 'position'),
    positionNorm: f32(t.getChild('position_norm'), 'position_norm'),
    sentenceLength: i32(t.getChild('sentence_length'), 'sentence_length'),
    firstTokenOfSentence: i32(s.getChild('first_token'), 'first_token'),
    isSpecial: bools(t.getChild('is_special'), 'is_special'),
    isPunct: bools(t.getChild('is_punct'), 'is_punct'),
    patches: t.getChild('patch_row') ? {
      image: i32(t.getChild('image'), 'tokens.arrow: image'),
      row: i32(t.getChild('patch_row'), 'tokens.arrow: patch_row'),
      col: i32(t.getChild('patch_col'), 'tokens.arrow: patch_col'),
      r: f32(t.getChild('color_r'), 'tokens.arrow: color_r'),
      g: f32(t.getChild('color_g'), 'tokens.arrow: color_g'),
      b: f32(t.getChild('color_b'), 'tokens.arrow: color_b'),
      hue: f32(t.getChild('hue'), 'tokens.arrow: hue'),
      saturation: f32(t.getChild('saturation'), 'tokens.arrow: saturation'),
      brightness: f32(t.getChild('brightness'), 'tokens.arrow: brightness'),
    } : null,
  };
}

const cache = new Map<string, Promise<Projection>>();

export function loadProjection(head: HeadInfo, name: string): Promise<Projection> {
  const path = `${head.dir}/${name}.arrow`;
  let p = cache.get(path);
  if (!p) {
    p = fetchArrow(path).then((t) => ({
      x: f32(t.getChild('x'), 'x'),
      y: f32(t.getChild('y'), 'y'),
      z: name.endsWith('3d') ? f32(t.getChild('z'), `${path}: z`) : null,
    }));
    p.catch(() => cache.delete(path)); // a failed fetch may succeed later
    cache.set(path, p);
  }
  return p;
}

const normCache = new Map<string, Promise<Norms>>();

/** q_norm and k_norm of a head, fetched once (the file also holds the vectors; only the norms are kept). */
export function loadNorms(head: HeadInfo): Promise<Norms> {
  const path = `${head.dir}/qk.arrow`;
  let p = normCache.get(path);
  if (!p) {
    p = fetchArrow(path).then((t) => ({ q: f32(t.getChild('q_norm'), 'q_norm'), k: f32(t.getChild('k_norm'), 'k_norm') }));
    p.catch(() => normCache.delete(path));
    normCache.set(path, p);
  }
  return p;
}
