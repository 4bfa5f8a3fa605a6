// Talks to the HeadAtlas server (docs/server-api.md). Point data arrive only as Arrow files.
import { tableFromIPC, type Table } from 'apache-arrow';

export interface HeadInfo { layer: number; head: number; kvHead?: number; dir: string }

export interface Manifest {
  model: { name: string; layers: number; heads: number; dHead: number };
  corpus: { sentences: number; tokens: number };
  projections: string[];
  heads: HeadInfo[];
  /** per head key "L{l}_H{h}": projection files present now */
  ready: Record<string, string[]>;
}

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
