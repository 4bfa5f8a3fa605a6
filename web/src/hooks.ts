// Small, stable hooks for tests and scripts: window.__headatlas.state and a few read-only queries.
// Nothing here drives the app; tests act through real mouse events at the positions these report.

export interface Hovered {
  token: number; kind: 'query' | 'key'; text: string; position: number; sentence: number;
  /** image runs: the patch (−1, −1 for [CLS]) */
  patch?: { row: number; col: number };
}
export interface AttentionLine { query: number; key: number; weight: number }
export interface CellRect { layer: number; head: number; x: number; y: number; width: number; height: number }

import type { ColorMode } from './colormodes';

export const state = {
  view: 'loading' as 'loading' | 'matrix' | 'head' | 'error',
  layer: -1,
  head: -1,
  /** the projection file shown: `${method}${dims}d` (the matrix shows the method's 2D) */
  projection: 'pca2d',
  method: 'pca',
  dims: 2 as 2 | 3,
  colorBy: 'kind' as ColorMode,
  /** 3D head view: the orbit camera (angles in radians); null in 2D */
  camera: null as { yaw: number; pitch: number; distance: number; target: number[]; depthSize: boolean } | null,
  /** the token search: its text, mode and how many tokens match; null when the box is empty */
  search: null as { query: string; mode: 'exact' | 'prefix'; tokens: number } | null,
  /** points in the canvas of the current view at its last frame */
  pointsDrawn: 0,
  frames: 0,
  /** true once the current view's data are loaded and drawn */
  ready: false,
  hovered: null as Hovered | null,
  /** the clicked query token (global token index) and its sentence */
  selected: null as { token: number; sentence: number } | null,
  /** the lines drawn from the selected query to its top keys (global token indices) */
  lines: [] as AttentionLine[],
  /** matrix view: the projection file each thumbnail shows, per head key "L{l}_H{h}" */
  matrixFiles: {} as Record<string, string>,
  /** head view: the faithfulness badge's projection and value (null: unknown or not measurable) */
  faithfulness: null as { projection: string; value: number | null } | null,
  /** "text" or "images" (manifest corpus.kind) */
  corpusKind: 'text' as 'text' | 'images',
  /** projections per head ready at the last manifest poll */
  ready_projections: {} as Record<string, string[]>,
  error: null as string | null,
};

/** Set by the view that is showing. Positions are page CSS pixels (for page.mouse). */
export const providers = {
  /** row 0..2N−1 of the current head's projection (queries, then keys) */
  pointScreen: (_row: number): { x: number; y: number } | null => null,
  /** [x0, y0, x1, y1, …] for every row */
  screenPoints: (): number[] => [],
  matrixCells: (): CellRect[] => [],
  /** [r, g, b] of a row under the current color mode (before dimming) */
  colorOf: (_row: number): number[] | null => null,
};

declare global {
  interface Window { __headatlas: unknown }
}

window.__headatlas = {
  state,
  pointScreen: (row: number) => providers.pointScreen(row),
  screenPoints: () => providers.screenPoints(),
  matrixCells: () => providers.matrixCells(),
  colorOf: (row: number) => providers.colorOf(row),
};
