// The projection picker: a method (PCA / t-SNE / UMAP) and a dimension (2D / 3D). Only methods the manifest
// plans are offered; each is disabled until a file of it exists for the head shown (matrix view: for any head,
// 2D only, since thumbnails are 2D). The chosen projection's file name is `${method}${dims}d`.
import { headKey, type Manifest } from './api';

export const METHODS = [
  { id: 'pca', label: 'PCA' },
  { id: 'tsne', label: 't-SNE' },
  { id: 'umap', label: 'UMAP' },
] as const;

export const methodLabel = (id: string) => METHODS.find((m) => m.id === id)?.label ?? id;

/** A projection file name's parts: 'tsne3d' → { method: 'tsne', dims: 3 }. */
export function parseProjection(name: string): { method: string; dims: 2 | 3 } {
  const m = /^([a-z]+)([23])d$/.exec(name);
  if (!m) throw new Error(`not a projection name: ${name}`);
  return { method: m[1], dims: +m[2] as 2 | 3 };
}

export class ProjectionChoice {
  /** what the user asked for; kept when a head lacks it, so the next head that has it shows it */
  method = 'pca';
  dims: 2 | 3 = 2;
  /** what update() last chose to show */
  shown = { method: 'pca', dims: 2 as 2 | 3 };

  constructor(private methodSelect: HTMLSelectElement, private dimsSelect: HTMLSelectElement) {}

  /**
   * Enables what is ready and returns the projection to show: for head (layer, head), or for the matrix when
   * `head` is null (its 2D). Falls back to the other dimension, then to PCA, when the choice is not ready.
   */
  update(manifest: Manifest, head: { layer: number; head: number } | null): string {
    const ready = (name: string) => head
      ? (manifest.ready[headKey(head.layer, head.head)] ?? []).includes(name)
      : Object.values(manifest.ready).some((list) => list.includes(name));
    const planned = (name: string) => manifest.projections.includes(name);
    const dimsOf = (_method: string): (2 | 3)[] => (head ? [2, 3] : [2]) as (2 | 3)[];

    // Methods: one option per planned method (PCA always); "(not ready)" until one of its files exists.
    this.methodSelect.innerHTML = '';
    for (const m of METHODS) {
      if (m.id !== 'pca' && !planned(`${m.id}2d`) && !planned(`${m.id}3d`)) continue;
      const option = new Option(m.label, m.id);
      const isReady = dimsOf(m.id).some((d) => ready(`${m.id}${d}d`));
      option.disabled = !isReady;
      if (!isReady) option.textContent = `${m.label} (not ready)`;
      this.methodSelect.append(option);
    }
    const methodReady = (id: string) => dimsOf(id).some((d) => ready(`${id}${d}d`));
    const method = methodReady(this.method) ? this.method : 'pca';
    this.methodSelect.value = method;

    // Dimensions of the shown method: 2D / 3D each "(not planned)" or "(not ready)" when so.
    for (const option of Array.from(this.dimsSelect.options)) {
      const name = `${method}${option.value}d`;
      option.disabled = !ready(name);
      option.textContent = `${option.value}D${!planned(name) ? ' (not planned)' : !ready(name) ? ' (not ready)' : ''}`;
    }
    const dims = head ? this.dims : 2;
    const shown: 2 | 3 = ready(`${method}${dims}d`) ? dims : dims === 3 ? 2 : 3;
    this.dimsSelect.value = String(shown);
    this.shown = { method, dims: shown };
    return `${method}${shown}d`;
  }
}
