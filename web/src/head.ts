// Head view: one head's queries and keys in a pan-and-zoom scatter plot. Hover shows a token; clicking a query
// highlights its sentence, draws lines to its top keys and fills the sentence panel.
import { fetchAttention, headKey, type HeadInfo, type SentenceAttention } from './api';
import { loadProjection, type Projection } from './data';
import { KEY, QUERY, css, keyRamp, queryRamp } from './colors';
import { Plot } from './gl';
import { providers, state, type AttentionLine } from './hooks';
import { renderSentencePanel } from './sentence';
import type { AppContext } from './main';

const HOVER_PX = 8;
const TOP_K = 2;
const MIN_LINE_WEIGHT = 0.05;
const POINT_SIZE = 5;

export class HeadView {
  private plot: Plot;
  private tooltip: HTMLDivElement;
  private panel: HTMLDivElement;
  private canvas: HTMLCanvasElement;
  private info: HeadInfo | null = null;
  private proj: Projection | null = null;
  private generation = 0;
  private loading = false;
  /** the selected sentence's attention pattern for this head, [q_pos][k_pos] */
  attention: SentenceAttention | null = null;
  private drag: { x: number; y: number; moved: boolean } | null = null;
  private hoverPending: { x: number; y: number } | null = null;

  constructor(private root: HTMLElement, private ctx: AppContext) {
    root.innerHTML = `
      <div class="head-main">
        <div class="head-title" data-testid="head-title"></div>
        <div class="head-stage">
          <canvas data-testid="head-canvas"></canvas>
          <div class="tooltip" data-testid="tooltip" hidden></div>
        </div>
        <div class="legend">
          <span><i style="background:${css(QUERY)}"></i>query</span>
          <span><i style="background:${css(KEY)}"></i>key</span>
          <span class="hint">drag to pan · wheel to zoom · click a query</span>
          <button data-testid="reset-view">reset view</button>
        </div>
      </div>
      <aside class="sentence-panel" data-testid="sentence-panel"><p class="hint">Click a query point to see its sentence.</p></aside>`;
    this.canvas = root.querySelector('canvas')!;
    this.tooltip = root.querySelector('.tooltip')!;
    this.panel = root.querySelector('.sentence-panel')!;
    this.plot = new Plot(this.canvas);
    this.plot.onDrawn = () => {
      state.frames = this.plot.frames;
      if (state.view !== 'head') return;
      state.pointsDrawn = this.plot.pointCount;
      if (this.proj && !this.loading) state.ready = true;
    };
    root.querySelector('[data-testid="reset-view"]')!.addEventListener('click', () => this.fit());
    this.wire();
  }

  hide() {
    this.root.hidden = true;
    this.generation++;
    this.tooltip.hidden = true;
  }

  async show(layer: number, head: number, projection: string) {
    const generation = ++this.generation;
    const info = this.ctx.manifest.heads.find((h) => h.layer === layer && h.head === head);
    if (!info) throw new Error(`the run has no head L${layer}_H${head}`);
    const sameHead = this.info === info;
    this.root.hidden = false;
    this.root.querySelector('.head-title')!.textContent =
      `Layer ${layer}, head ${head} · ${projection === 'tsne2d' ? 't-SNE' : 'PCA'}`;
    providers.matrixCells = () => [];
    providers.pointScreen = (row) => this.pointScreen(row);
    providers.screenPoints = () => this.screenPoints();
    this.ctx.setStatus('loading head…');
    this.loading = true;
    const proj = await loadProjection(info, projection);
    if (generation !== this.generation) return;
    this.loading = false;
    this.ctx.setStatus('');
    this.info = info;
    this.proj = proj;
    const positions = new Float32Array(proj.x.length * 2); // [2N, xy]
    for (let i = 0; i < proj.x.length; i++) { positions[2 * i] = proj.x[i]; positions[2 * i + 1] = proj.y[i]; }
    this.positions = positions;
    // Keep a selection only across a projection switch of the same head (the matrix clears state.selected).
    if (!sameHead || !state.selected) this.clearSelection();
    this.fit();
    this.recolor();
    if (sameHead && state.selected) await this.select(state.selected.token);
  }

  private positions = new Float32Array(0);

  resize() { if (this.proj) this.fit(); }

  /** Fits all points in the canvas with the same scale on both axes. */
  fit() {
    if (!this.proj) return;
    const { x, y } = this.proj;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < x.length; i++) {
      x0 = Math.min(x0, x[i]); x1 = Math.max(x1, x[i]); y0 = Math.min(y0, y[i]); y1 = Math.max(y1, y[i]);
    }
    const { w, h } = this.plot.cssSize;
    const k = 0.92 * Math.min(w / Math.max(x1 - x0, 1e-12), h / Math.max(y1 - y0, 1e-12)); // px per unit
    this.plot.transform = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, sx: 2 * k / w, sy: 2 * k / h };
    this.plot.requestDraw();
  }

  /** Colors for every point: by kind or by position; other sentences dimmed while one is selected. */
  recolor() {
    if (!this.proj) return;
    const n = this.ctx.tokens.count, tokens = this.ctx.tokens;
    const colors = new Uint8Array(2 * n * 4); // [2N, rgba]
    const sel = state.selected?.sentence ?? -1;
    for (let row = 0; row < 2 * n; row++) {
      const t = row % n, isQuery = row < n;
      const c = state.colorBy === 'position'
        ? (isQuery ? queryRamp : keyRamp)(tokens.positionNorm[t])
        : isQuery ? QUERY : KEY;
      const dim = sel >= 0 && tokens.sentence[t] !== sel;
      colors.set([c[0], c[1], c[2], dim ? 40 : 210], 4 * row);
    }
    this.plot.setLayer('points', 'points', this.positions, colors, POINT_SIZE);
    this.drawSelection();
  }

  private clearSelection() {
    state.selected = null;
    state.lines = [];
    this.attention = null;
    this.plot.clearLayer('lines');
    this.plot.clearLayer('highlight');
    this.panel.innerHTML = '<p class="hint">Click a query point to see its sentence.</p>';
  }

  /** Selects a query token: its sentence's attention from the server, lines to its top keys, the panel. */
  async select(token: number) {
    const tokens = this.ctx.tokens, info = this.info!;
    const sentence = tokens.sentence[token];
    const generation = this.generation;
    const attention = await fetchAttention(info.layer, info.head, sentence);
    if (generation !== this.generation) return;
    state.selected = { token, sentence };
    this.attention = attention;
    const first = tokens.firstTokenOfSentence[sentence];
    const qpos = token - first;
    const row = attention.weights[qpos];
    const lines: AttentionLine[] = row
      .map((weight, kpos) => ({ query: token, key: first + kpos, weight }))
      .filter((l) => l.weight >= MIN_LINE_WEIGHT)
      .sort((a, b) => b.weight - a.weight)
      .slice(0, TOP_K);
    state.lines = lines;
    renderSentencePanel(this.panel, attention, qpos, headKey(info.layer, info.head), (pos) => this.select(first + pos));
    this.recolor();
  }

  private drawSelection() {
    if (!state.selected || !this.proj) return;
    const n = this.ctx.tokens.count, tokens = this.ctx.tokens;
    const { x, y } = this.proj;
    const sel = state.selected;
    const first = tokens.firstTokenOfSentence[sel.sentence], len = tokens.sentenceLength[sel.token];
    // Lines from the query to its top keys, opacity = weight.
    const lp = new Float32Array(state.lines.length * 4), lc = new Uint8Array(state.lines.length * 8);
    state.lines.forEach((l, i) => {
      lp.set([x[l.query], y[l.query], x[n + l.key], y[n + l.key]], 4 * i);
      const a = Math.round(255 * l.weight);
      lc.set([30, 30, 30, a, 30, 30, 30, a], 8 * i);
    });
    this.plot.setLayer('lines', 'lines', lp, lc);
    // Highlight: the sentence's queries and keys, a little larger, drawn above the rest.
    const hp = new Float32Array(len * 2 * 2), hc = new Uint8Array(len * 2 * 4);
    for (let i = 0; i < len; i++) {
      for (const [j, row, c] of [[2 * i, first + i, QUERY], [2 * i + 1, n + first + i, KEY]] as const) {
        hp[2 * j] = x[row]; hp[2 * j + 1] = y[row];
        hc.set([c[0], c[1], c[2], 255], 4 * j);
      }
    }
    this.plot.setLayer('highlight', 'points', hp, hc, POINT_SIZE + 3);
  }

  /** Nearest point within HOVER_PX of a canvas position, as a row 0..2N−1, or −1. */
  private pick(px: number, py: number): number {
    if (!this.proj) return -1;
    const { x, y } = this.proj, t = this.plot.transform, { w, h } = this.plot.cssSize;
    const kx = t.sx * w / 2, ky = t.sy * h / 2; // px per data unit
    const d = this.plot.toData(px, py);
    let best = -1, bestD = HOVER_PX * HOVER_PX;
    for (let i = 0; i < x.length; i++) {
      const dx = (x[i] - d.x) * kx, dy = (y[i] - d.y) * ky, dd = dx * dx + dy * dy;
      if (dd <= bestD) { bestD = dd; best = i; }
    }
    return best;
  }

  private hover(px: number, py: number) {
    const row = this.pick(px, py);
    if (row < 0) {
      state.hovered = null;
      this.tooltip.hidden = true;
      return;
    }
    const tokens = this.ctx.tokens, n = tokens.count, t = row % n;
    const kind = row < n ? 'query' : 'key';
    state.hovered = { token: t, kind, text: tokens.text[t], position: tokens.position[t], sentence: tokens.sentence[t] };
    this.tooltip.innerHTML = '';
    const strong = document.createElement('strong');
    strong.dataset.testid = 'tooltip-token';
    strong.textContent = tokens.text[t];
    const detail = document.createElement('div');
    detail.dataset.testid = 'tooltip-detail';
    detail.textContent = `${kind} · position ${tokens.position[t]} of ${tokens.sentenceLength[t]} · sentence ${tokens.sentence[t]}`;
    this.tooltip.append(strong, detail);
    this.tooltip.style.left = `${px + 12}px`;
    this.tooltip.style.top = `${py + 12}px`;
    this.tooltip.hidden = false;
  }

  private wire() {
    const c = this.canvas;
    const local = (e: MouseEvent) => { const r = c.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; };
    c.addEventListener('pointerdown', (e) => {
      const p = local(e);
      this.drag = { ...p, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      const p = local(e);
      if (this.drag && (this.drag.moved || Math.hypot(p.x - this.drag.x, p.y - this.drag.y) > 3)) {
        const t = this.plot.transform, { w, h } = this.plot.cssSize;
        t.cx -= (p.x - this.drag.x) * 2 / (w * t.sx);
        t.cy += (p.y - this.drag.y) * 2 / (h * t.sy);
        this.drag = { ...p, moved: true };
        this.tooltip.hidden = true;
        this.plot.requestDraw();
        return;
      }
      // Hover picking at most once per frame.
      if (!this.hoverPending) requestAnimationFrame(() => { const q = this.hoverPending!; this.hoverPending = null; this.hover(q.x, q.y); });
      this.hoverPending = p;
    });
    c.addEventListener('pointerup', (e) => {
      const drag = this.drag;
      this.drag = null;
      if (!drag || drag.moved) return;
      const p = local(e);
      const row = this.pick(p.x, p.y);
      if (row >= 0 && row < this.ctx.tokens.count) this.select(row).catch((err) => this.ctx.setStatus(String(err)));
      else if (row < 0) { this.clearSelection(); this.recolor(); }
    });
    c.addEventListener('pointerleave', () => { this.tooltip.hidden = true; state.hovered = null; });
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const p = local(e), t = this.plot.transform, { w, h } = this.plot.cssSize;
      const d = this.plot.toData(p.x, p.y), f = Math.exp(-e.deltaY * 0.0015);
      t.sx *= f; t.sy *= f;
      t.cx = d.x - (p.x / w * 2 - 1) / t.sx;
      t.cy = d.y - (1 - p.y / h * 2) / t.sy;
      this.plot.requestDraw();
    }, { passive: false });
  }

  private pointScreen(row: number) {
    if (!this.proj || row < 0 || row >= this.proj.x.length) return null;
    const r = this.canvas.getBoundingClientRect(), s = this.plot.toScreen(this.proj.x[row], this.proj.y[row]);
    return { x: r.left + scrollX + s.x, y: r.top + scrollY + s.y };
  }

  private screenPoints(): number[] {
    if (!this.proj) return [];
    const out: number[] = [];
    for (let i = 0; i < this.proj.x.length; i++) { const s = this.pointScreen(i)!; out.push(s.x, s.y); }
    return out;
  }
}
