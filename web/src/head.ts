// Head view: one head's queries and keys as a 2D (pan and zoom) or 3D (orbit) scatter plot. Hover shows a token;
// clicking a query highlights its sentence, draws lines to its top keys and fills the sentence panel. Colors follow
// the color mode (colormodes.ts, legend below the plot); a token search highlights its matches.
import { faithfulnessOf, fetchAttention, formatFaithfulness, headKey, type HeadInfo, type SentenceAttention } from './api';
import { loadNorms, loadProjection, type Projection } from './data';
import { Orbit3D, PanZoom2D, type Bounds, type Camera } from './camera';
import { colorRows, type Coloring } from './colormodes';
import { methodLabel, parseProjection } from './choice';
import { Plot } from './gl';
import { providers, state, type AttentionLine } from './hooks';
import { renderLegend } from './legend';
import { SearchBox } from './search';
import { renderSentencePanel } from './sentence';
import { renderImagePanel } from './imagepanel';
import { thumbnailFigure } from './images';
import type { AppContext } from './main';

const HOVER_PX = 8;
const TOP_K = 2;
const MIN_LINE_WEIGHT = 0.05;
const POINT_SIZE = 5;
const DIM_ALPHA = 40, POINT_ALPHA = 210;
/** longer side of the tooltip's thumbnail, CSS px */
const TOOLTIP_THUMB = 128;

export class HeadView {
  private plot: Plot;
  private tooltip: HTMLDivElement;
  private panel: HTMLDivElement;
  private canvas: HTMLCanvasElement;
  private legend: HTMLElement;
  private hint: HTMLElement;
  private depthToggle: HTMLLabelElement;
  private info: HeadInfo | null = null;
  private proj: Projection | null = null;
  private dims: 2 | 3 = 2;
  private camera: Camera = new PanZoom2D();
  private generation = 0;
  private loading = false;
  private coloring: Coloring | null = null;
  /** tokens matching the search box, or null when it is empty */
  private matches: Int32Array | null = null;
  /** the selected sentence's attention pattern for this head, [q_pos][k_pos] */
  attention: SentenceAttention | null = null;
  private drag: { x: number; y: number; moved: boolean; pan: boolean } | null = null;
  private hoverPending: { x: number; y: number } | null = null;
  private positions = new Float32Array(0); // [2N, dims]
  /** the projection file shown (or being loaded) */
  private shownProjection = 'pca2d';
  /** image runs: the row whose thumbnail tooltip is up */
  private hoveredRow = -1;

  constructor(private root: HTMLElement, private ctx: AppContext) {
    root.innerHTML = `
      <div class="head-main">
        <div class="head-title"><span data-testid="head-title"></span>
          <span class="badge" data-testid="faithfulness" title="faithfulness: mean Spearman correlation, over queries, between attention weights and nearness of the keys in this projection (1 = nearer keys always get more attention)"></span></div>
        <div class="head-stage">
          <canvas data-testid="head-canvas"></canvas>
          <div class="tooltip" data-testid="tooltip" hidden></div>
        </div>
        <div class="controls">
          <span class="search"></span>
          <label class="depth-size" hidden><input type="checkbox" data-testid="depth-size" checked /> size by depth</label>
          <span class="hint" data-testid="nav-hint"></span>
          <button data-testid="reset-view">reset view</button>
        </div>
        <div class="legend" data-testid="legend"></div>
      </div>
      <aside class="sentence-panel" data-testid="sentence-panel"></aside>`;
    this.canvas = root.querySelector('canvas')!;
    this.tooltip = root.querySelector('.tooltip')!;
    this.panel = root.querySelector('.sentence-panel')!;
    this.legend = root.querySelector('.legend')!;
    this.hint = root.querySelector('[data-testid=nav-hint]')!;
    this.depthToggle = root.querySelector('.depth-size')!;
    this.plot = new Plot(this.canvas);
    // Layer order = drawing order: all points, search hits, attention lines, the selected sentence.
    for (const name of ['points', 'search', 'lines', 'highlight'])
      this.plot.setLayer(name, name === 'lines' ? 'lines' : 'points', new Float32Array(0), new Uint8Array(0));
    this.plot.onDrawn = () => {
      state.frames = this.plot.frames;
      if (state.view !== 'head') return;
      state.pointsDrawn = this.plot.layerCount('points');
      if (this.proj && !this.loading) state.ready = true;
    };
    root.querySelector('[data-testid="reset-view"]')!.addEventListener('click', () => this.fit());
    this.depthToggle.querySelector('input')!.addEventListener('change', () => this.applyCamera());
    new SearchBox(root.querySelector('.search')!, () => this.ctx.tokens, (matches, query, mode) => {
      this.matches = matches;
      state.search = matches ? { query, mode, tokens: matches.length } : null;
      this.recolor();
    });
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
    const { method, dims } = parseProjection(projection);
    this.root.hidden = false;
    this.root.querySelector('[data-testid=head-title]')!.textContent = `Layer ${layer}, head ${head} · ${methodLabel(method)} ${dims}D`;
    this.shownProjection = projection;
    this.updateFaithfulness(info);
    providers.matrixCells = () => [];
    providers.pointScreen = (row) => this.pointScreen(row);
    providers.screenPoints = () => this.screenPoints();
    providers.colorOf = (row) => this.colorOf(row);
    this.ctx.images?.preload();
    this.ctx.setStatus('loading head…');
    this.loading = true;
    const proj = await loadProjection(info, projection);
    if (generation !== this.generation) return;
    this.loading = false;
    this.ctx.setStatus('');
    this.info = info;
    this.proj = proj;
    this.dims = dims;
    const rows = proj.x.length;
    const positions = new Float32Array(rows * dims); // [2N, dims]
    for (let i = 0; i < rows; i++) {
      positions[dims * i] = proj.x[i]; positions[dims * i + 1] = proj.y[i];
      if (dims === 3) positions[dims * i + 2] = proj.z![i];
    }
    this.positions = positions;
    if (this.camera.dims !== dims) this.camera = dims === 3 ? new Orbit3D() : new PanZoom2D();
    this.depthToggle.hidden = dims !== 3;
    this.hint.textContent = dims === 3
      ? 'drag to rotate · wheel to zoom · shift- or right-drag to pan · click a query'
      : 'drag to pan · wheel to zoom · click a query';
    // Keep a selection only across a projection switch of the same head (the matrix clears state.selected).
    if (!sameHead || !state.selected) this.clearSelection();
    this.fit();
    await this.recolor();
    if (sameHead && state.selected) await this.select(state.selected.token);
  }

  resize() { if (this.proj) this.fit(); }

  /** Fits all points in the canvas (same scale on every axis). */
  fit() {
    if (!this.proj) return;
    const { x, y, z } = this.proj;
    const b: Bounds = { min: [Infinity, Infinity, 0], max: [-Infinity, -Infinity, 0] };
    if (z) { b.min[2] = Infinity; b.max[2] = -Infinity; }
    for (let i = 0; i < x.length; i++) {
      const p = [x[i], y[i], z ? z[i] : 0];
      for (let a = 0; a < 3; a++) { b.min[a] = Math.min(b.min[a], p[a]); b.max[a] = Math.max(b.max[a], p[a]); }
    }
    const { w, h } = this.plot.cssSize;
    this.camera.fit(b, w, h);
    this.applyCamera();
  }

  /** Pushes the camera to the plot and schedules one frame. */
  private applyCamera() {
    const { w, h } = this.plot.cssSize;
    this.plot.matrix = this.camera.matrix(w, h);
    const depthSize = this.dims === 3 && this.depthToggle.querySelector('input')!.checked;
    this.plot.refW = depthSize ? this.camera.refW : 0;
    state.camera = this.camera instanceof Orbit3D
      ? { yaw: this.camera.yaw, pitch: this.camera.pitch, distance: this.camera.distance, target: [...this.camera.target], depthSize }
      : null;
    this.plot.requestDraw();
  }

  /** Colors every point by the color mode; other sentences (or non-matches of a search) dimmed. */
  async recolor() {
    if (!this.proj || !this.info) return;
    const generation = this.generation, info = this.info;
    const norms = state.colorBy === 'norm' ? await loadNorms(info) : null;
    if (generation !== this.generation) return;
    const tokens = this.ctx.tokens, n = tokens.count;
    this.coloring = colorRows(state.colorBy, tokens, norms);
    renderLegend(this.legend, this.coloring);
    const colors = this.coloring.colors.slice(); // [2N, rgba]
    const sel = state.selected?.sentence ?? -1;
    const hit = this.matches ? new Uint8Array(n) : null;
    if (hit) for (const t of this.matches!) hit[t] = 1;
    for (let row = 0; row < 2 * n; row++) {
      const t = row % n;
      const dim = (sel >= 0 && tokens.sentence[t] !== sel) || (hit !== null && !hit[t]);
      colors[4 * row + 3] = dim ? DIM_ALPHA : POINT_ALPHA;
    }
    this.plot.setLayer('points', 'points', this.positions, colors, { size: POINT_SIZE, dims: this.dims });
    this.drawSearch();
    this.drawSelection();
  }

  /** Search hits (query and key of every matching token) over the rest, opaque and a little larger. */
  private drawSearch() {
    if (!this.matches || !this.coloring) { this.plot.clearLayer('search'); return; }
    const rows: number[] = [];
    for (const t of this.matches) rows.push(t, this.ctx.tokens.count + t);
    this.plot.setLayer('search', 'points', ...this.rowsLayer(rows), { size: POINT_SIZE + 2, dims: this.dims, onTop: true });
  }

  /** Positions and opaque colors of some rows. */
  private rowsLayer(rows: number[]): [Float32Array, Uint8Array] {
    const d = this.dims, pos = new Float32Array(rows.length * d), col = new Uint8Array(rows.length * 4);
    rows.forEach((row, j) => {
      for (let a = 0; a < d; a++) pos[d * j + a] = this.positions[d * row + a];
      col.set(this.coloring!.colors.subarray(4 * row, 4 * row + 3), 4 * j);
      col[4 * j + 3] = 255;
    });
    return [pos, col];
  }

  private clearSelection() {
    state.selected = null;
    state.lines = [];
    this.attention = null;
    this.plot.clearLayer('lines');
    this.plot.clearLayer('highlight');
    this.panel.innerHTML = `<p class="hint">Click a query point to see its ${this.ctx.images ? 'image' : 'sentence'}.</p>`;
  }

  /** The badge: faithfulness of the shown head and projection (metrics.json via the manifest), "—" when unknown. */
  updateFaithfulness(info: HeadInfo | null = this.info) {
    if (!info || this.root.hidden) return;
    const value = faithfulnessOf(this.ctx.manifest, headKey(info.layer, info.head), this.shownProjection);
    const badge = this.root.querySelector<HTMLElement>('[data-testid=faithfulness]')!;
    badge.textContent = `faithfulness ${formatFaithfulness(value)}`;
    badge.dataset.value = typeof value === 'number' ? String(value) : '';
    state.faithfulness = { projection: this.shownProjection, value: typeof value === 'number' ? value : null };
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
    const onSelect = (pos: number) => { this.select(first + pos).catch((err) => this.ctx.setStatus(String(err))); };
    if (this.ctx.images) {
      const imageInfo = await this.ctx.images.info(sentence);
      if (generation !== this.generation || state.selected?.token !== token) return;
      renderImagePanel(this.panel, this.ctx.images, imageInfo, attention, qpos, headKey(info.layer, info.head), onSelect);
    } else renderSentencePanel(this.panel, attention, qpos, headKey(info.layer, info.head), onSelect);
    await this.recolor();
  }

  private drawSelection() {
    if (!state.selected || !this.proj) return;
    const n = this.ctx.tokens.count, tokens = this.ctx.tokens, d = this.dims;
    const sel = state.selected;
    const first = tokens.firstTokenOfSentence[sel.sentence], len = tokens.sentenceLength[sel.token];
    // Lines from the query to its top keys, opacity = weight (drawn over the points, also in 3D).
    const lp = new Float32Array(state.lines.length * 2 * d), lc = new Uint8Array(state.lines.length * 8);
    state.lines.forEach((l, i) => {
      for (let a = 0; a < d; a++) {
        lp[2 * d * i + a] = this.positions[d * l.query + a];
        lp[2 * d * i + d + a] = this.positions[d * (n + l.key) + a];
      }
      const alpha = Math.round(255 * l.weight);
      lc.set([30, 30, 30, alpha, 30, 30, 30, alpha], 8 * i);
    });
    this.plot.setLayer('lines', 'lines', lp, lc, { dims: d, onTop: true });
    // Highlight: the sentence's queries and keys, a little larger, drawn above the rest.
    const rows: number[] = [];
    for (let i = 0; i < len; i++) rows.push(first + i, n + first + i);
    this.plot.setLayer('highlight', 'points', ...this.rowsLayer(rows), { size: POINT_SIZE + 3, dims: d, onTop: true });
  }

  /** Screen position (canvas CSS px) of a row; null behind the eye. */
  private screenOf(row: number) {
    const { x, y, z } = this.proj!;
    const s = this.plot.toScreen(x[row], y[row], z ? z[row] : 0);
    return s.w > 0 ? s : null;
  }

  /** Nearest point within HOVER_PX of a canvas position (projected on the CPU), as a row 0..2N−1, or −1.
   *  Among points equally near on screen, the one nearer the eye wins (it is drawn in front). */
  private pick(px: number, py: number): number {
    if (!this.proj) return -1;
    let best = -1, bestD = HOVER_PX * HOVER_PX, bestW = Infinity;
    for (let i = 0; i < this.proj.x.length; i++) {
      const s = this.screenOf(i);
      if (!s) continue;
      const dd = (s.x - px) ** 2 + (s.y - py) ** 2;
      if (dd < bestD - 0.25 || (dd <= bestD + 0.25 && s.w < bestW)) { bestD = Math.min(bestD, dd); bestW = s.w; best = i; }
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
    if (this.ctx.images) {
      // The thumbnail tooltip is large: keep it (no reload) while the same point stays hovered, and keep it
      // inside the plot (left of / above the cursor near the right / bottom edge).
      if (row !== this.hoveredRow || this.tooltip.hidden) { this.hoveredRow = row; this.imageTooltip(t, kind); }
      const { w, h } = this.plot.cssSize;
      const tw = this.tooltip.offsetWidth || TOOLTIP_THUMB + 20, th = this.tooltip.offsetHeight || TOOLTIP_THUMB + 60;
      // Whole pixels, so the thumbnail's pixels land on screen pixels.
      this.tooltip.style.left = `${Math.round(px + 12 + tw > w ? Math.max(0, px - 12 - tw) : px + 12)}px`;
      this.tooltip.style.top = `${Math.round(py + 12 + th > h ? Math.max(0, py - 12 - th) : py + 12)}px`;
      return;
    }
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

  /** Image runs: the patch's row and column, query or key, the image's path and thumbnail with the patch outlined. */
  private imageTooltip(t: number, kind: 'query' | 'key') {
    const tokens = this.ctx.tokens, p = tokens.patches!, store = this.ctx.images!;
    const image = p.image[t], row = p.row[t], col = p.col[t];
    state.hovered = {
      token: t, kind, text: tokens.text[t], position: tokens.position[t], sentence: tokens.sentence[t], patch: { row, col },
    };
    this.tooltip.innerHTML = '';
    const strong = document.createElement('strong');
    strong.dataset.testid = 'tooltip-token';
    strong.textContent = row < 0 ? '[CLS]' : `patch ${row},${col}`;
    const detail = document.createElement('div');
    detail.dataset.testid = 'tooltip-detail';
    detail.textContent = row < 0 ? `${kind} · [CLS] · image ${image}` : `${kind} · row ${row}, column ${col} · image ${image}`;
    const path = document.createElement('div');
    path.dataset.testid = 'tooltip-path';
    path.className = 'hint';
    this.tooltip.append(strong, detail, path);
    this.tooltip.hidden = false;
    const hovered = state.hovered;
    store.info(image).then((info) => {
      if (state.hovered !== hovered) return; // the pointer moved on
      path.textContent = info.path;
      const figure = thumbnailFigure(store, image, info, TOOLTIP_THUMB, row < 0 ? null : { row, col });
      figure.dataset.testid = 'tooltip-thumb';
      this.tooltip.append(figure);
    }).catch((e) => this.ctx.setStatus(String(e)));
  }

  private wire() {
    const c = this.canvas;
    const local = (e: MouseEvent) => { const r = c.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; };
    c.addEventListener('contextmenu', (e) => e.preventDefault()); // right-drag pans
    c.addEventListener('pointerdown', (e) => {
      const p = local(e);
      this.drag = { ...p, moved: false, pan: e.shiftKey || e.button === 2 };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      const p = local(e);
      if (this.drag && (this.drag.moved || Math.hypot(p.x - this.drag.x, p.y - this.drag.y) > 3)) {
        const { w, h } = this.plot.cssSize;
        this.camera.drag(p.x - this.drag.x, p.y - this.drag.y, this.drag.pan, w, h);
        this.drag = { ...this.drag, ...p, moved: true };
        this.tooltip.hidden = true;
        this.applyCamera();
        return;
      }
      // Hover picking at most once per frame.
      if (!this.hoverPending) requestAnimationFrame(() => { const q = this.hoverPending!; this.hoverPending = null; this.hover(q.x, q.y); });
      this.hoverPending = p;
    });
    c.addEventListener('pointerup', (e) => {
      const drag = this.drag;
      this.drag = null;
      if (!drag || drag.moved || e.button !== 0) return;
      const p = local(e);
      const row = this.pick(p.x, p.y);
      if (row >= 0 && row < this.ctx.tokens.count) this.select(row).catch((err) => this.ctx.setStatus(String(err)));
      else if (row < 0) { this.clearSelection(); this.recolor(); }
    });
    c.addEventListener('pointerleave', () => { this.tooltip.hidden = true; state.hovered = null; });
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      const p = local(e), { w, h } = this.plot.cssSize;
      this.camera.zoom(p.x, p.y, e.deltaY, w, h);
      this.applyCamera();
    }, { passive: false });
  }

  private pointScreen(row: number) {
    if (!this.proj || row < 0 || row >= this.proj.x.length) return null;
    const r = this.canvas.getBoundingClientRect(), s = this.screenOf(row);
    return s ? { x: r.left + scrollX + s.x, y: r.top + scrollY + s.y } : null;
  }

  private screenPoints(): number[] {
    if (!this.proj) return [];
    const out: number[] = [];
    for (let i = 0; i < this.proj.x.length; i++) { const s = this.pointScreen(i); out.push(s ? s.x : NaN, s ? s.y : NaN); }
    return out;
  }

  /** The color mode's RGB of a row (before dimming). */
  private colorOf(row: number): number[] | null {
    if (!this.coloring || row < 0 || 4 * row >= this.coloring.colors.length) return null;
    return Array.from(this.coloring.colors.subarray(4 * row, 4 * row + 3));
  }
}
