// Queries are greens, keys are pinks (AttentionViz's convention). RGBA bytes.
export type RGBA = [number, number, number, number];

export const QUERY: RGBA = [26, 152, 80, 255];   // green
export const KEY: RGBA = [214, 51, 132, 255];    // pink

const QUERY_LIGHT: RGBA = [199, 233, 192, 255], QUERY_DARK: RGBA = [0, 90, 50, 255];
const KEY_LIGHT: RGBA = [252, 197, 224, 255], KEY_DARK: RGBA = [122, 1, 119, 255];

function mix(a: RGBA, b: RGBA, t: number): RGBA {
  const u = Math.min(1, Math.max(0, t));
  return [a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, a[2] + (b[2] - a[2]) * u, 255];
}

/** position 0 (first token) light, 1 (last) dark. */
export const queryRamp = (t: number) => mix(QUERY_LIGHT, QUERY_DARK, t);
export const keyRamp = (t: number) => mix(KEY_LIGHT, KEY_DARK, t);

export const css = (c: RGBA, alpha = 1) => `rgba(${c[0] | 0},${c[1] | 0},${c[2] | 0},${alpha})`;
