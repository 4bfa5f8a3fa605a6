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
