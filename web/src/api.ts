// Talks to the HeadAtlas server (docs/server-api.md). Point data arrive only as Arrow files.
import { tableFromIPC, type Table } from 'apache-arrow';

export interface HeadInfo { layer: number; head: number; kvHead?: number; dir: string }

export interface Manifest {
  /** patchRows / patchCols: the patch grid of a vision model's input (image runs only) */
  model: { name: string; layers: number; heads: number; dHead: number; patchRows?: number; patchCols?: number };
  /** kind: "images" for image runs; absent or "text" for text runs */
  corpus: { sentences: number; tokens: number; kind?: string };
  projections: string[];
  heads: HeadInfo[];
  /** per head key "L{l}_H{h}": projection files present now */
  ready: Record<string, string[]>;
  /** per head key: its metrics.json as stored now (server addition; heads without one are absent) */
  metrics?: Record<string, { faithfulness?: Record<string, number | null> }>;
}

/** An image run (manifest corpus.kind "images"): one "sentence" per image, tokens [CLS] then patches row by row. */
export const isImageRun = (m: Manifest) => m.corpus.kind === 'images';

/** faithfulness[projection] of a head: a number, null (measured, but no query qualified) or undefined (unknown). */
export function faithfulnessOf(m: Manifest, key: string, projection: string): number | null | undefined {
  return m.metrics?.[key]?.faithfulness?.[projection];
}

/** How the explorer writes a faithfulness value: two decimals, "—" when unknown or undefined. */
export const formatFaithfulness = (v: number | null | undefined) => (typeof v === 'number' ? v.toFixed(2) : '—');

export interface SentenceAttention { sentence: number; tokens: string[]; weights: number[][] }

export const headKey = (layer: number, head: number) => `L${layer}_H${head}`;

export async function fetchManifest(): Promise<Manifest> {
  const r = await fetch('api/manifest', { cache: 'no-store' });
  if (!r.ok) throw new Error(`manifest: HTTP ${r.status}`);
  return r.json();
}

export async function fetchArrow(path: string): Promise<Table> {
  const r = await fetch(`api/file/${path}`);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return tableFromIPC(new Uint8Array(await r.arrayBuffer()));
}

export async function fetchAttention(layer: number, head: number, sentence: number): Promise<SentenceAttention> {
  const r = await fetch(`api/attention/${layer}/${head}/${sentence}`);
  if (!r.ok) throw new Error(`attention L${layer}_H${head} sentence ${sentence}: HTTP ${r.status}`);
  return r.json();
}
