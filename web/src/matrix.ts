// Matrix view: every head of the model as a thumbnail in ONE WebGL canvas, a grid with a row per layer and a
// column per head. Each thumbnail shows that head's queries (green) and keys (pink); click one to open it.
import { faithfulnessOf, formatFaithfulness, headKey, type HeadInfo } from './api';
import { loadProjection, type Projection } from './data';
import { KEY, QUERY } from './colors';
import { Plot, identity } from './gl';
import { providers, state, type CellRect } from './hooks';
import type { AppContext } from './main';

/** Points drawn over all thumbnails together at most (software rendering: keep a frame well under a second). */
const POINT_BUDGET = 150_000;
const MIN_PER_HEAD = 400;
const PAD = 3; // CSS px inside each cell

export class MatrixView {
  private stage: HTMLDivElement;
  private overlay: HTMLDivElement;
  private plot: Plot;
  private loaded = new Map<string, Projection>();
  private generation = 0;
  private cellSize = 0;
  private projection = 'pca2d';

  constructor(private root: HTMLElement, private ctx: AppContext) {
    const { layers, heads } = ctx.manifest.model;
    root.innerHTML = '';
    const grid = document.createElement('div');
    grid.className = 'matrix-grid';
    grid.innerHTML = `<div class="corner"></div><div class="col-labels"></div><div class="row-labels"></div>`;
    this.stage = document.createElement('div');
    this.stage.className = 'matrix-stage';
    const canvas = document.createElement('canvas');
    canvas.dataset.testid = 'matrix-canvas';
    this.overlay = document.createElement('div');
    this.overlay.className = 'matrix-overlay';
    this.stage.append(canvas, this.overlay);
    grid.append(this.stage);
    root.append(grid);

    const colLabels = grid.querySelector('.col-labels')!, rowLabels = grid.querySelector('.row-labels')!;
    for (let h = 0; h < heads; h++) colLabels.insertAdjacentHTML('beforeend', `<span>H${h}</span>`);
    for (let l = 0; l < layers; l++) rowLabels.insertAdjacentHTML('beforeend', `<span>L${l}</span>`);
    for (const info of ctx.manifest.heads) {
      const cell = document.createElement('button');
      cell.className = 'matrix-cell';
      cell.dataset.testid = 'head-cell';
      cell.dataset.layer = String(info.layer);
      cell.dataset.head = String(info.head);
      cell.title = `layer ${info.layer}, head ${info.head}`;
      cell.style.gridRow = String(info.layer + 1);
      cell.style.gridColumn = String(info.head + 1);
      cell.addEventListener('click', () => ctx.openHead(info.layer, info.head));
      const faith = document.createElement('span');
      faith.className = 'cell-faithfulness';
      faith.dataset.testid = 'cell-faithfulness';
      cell.append(faith);
      this.overlay.append(cell);
    }

    this.plot = new Plot(canvas);
    this.plot.onDrawn = () => {
      state.frames = this.plot.frames;
      if (state.view !== 'matrix') return;
      state.pointsDrawn = this.plot.pointCount;
      state.ready = this.loaded.size === ctx.manifest.heads.length;
    };
  }

  hide() {
    this.root.hidden = true;
    this.generation++;
  }

  /** Loads (or reuses) every head's projection and draws the grid as heads arrive. */
  async show(projection: string) {
    const generation = ++this.generation;
    this.root.hidden = false;
    providers.matrixCells = () => this.cells();
    providers.pointScreen = () => null;
    providers.screenPoints = () => [];
    providers.colorOf = () => null;
    this.loaded.clear();
    state.matrixFiles = {};
    this.projection = projection;
    this.updateFaithfulness();
    this.resize();
    const heads = this.ctx.manifest.heads;
    let done = 0;
    await Promise.all(heads.map(async (info) => {
      const file = this.pick(info, projection);
      const p = await loadProjection(info, file);
      if (generation !== this.generation) return;
      this.loaded.set(headKey(info.layer, info.head), p);
      state.matrixFiles[headKey(info.layer, info.head)] = file;
      this.ctx.setStatus(++done < heads.length ? `loading heads: ${done}/${heads.length}` : '');
      this.rebuild();
    }));
  }

  /** Each cell's corner: the faithfulness of the projection its thumbnail shows ("—" unknown). */
  updateFaithfulness() {
    for (const cell of this.overlay.querySelectorAll<HTMLElement>('.matrix-cell')) {
      const info = this.ctx.manifest.heads.find((h) => h.layer === +cell.dataset.layer! && h.head === +cell.dataset.head!)!;
      const key = headKey(info.layer, info.head), file = this.pick(info, this.projection);
      const value = faithfulnessOf(this.ctx.manifest, key, file);
      const label = cell.querySelector<HTMLElement>('.cell-faithfulness')!;
      label.textContent = formatFaithfulness(value);
      label.dataset.projection = file;
      label.dataset.value = typeof value === 'number' ? String(value) : '';
      cell.title = `layer ${info.layer}, head ${info.head} · faithfulness of ${file}: ${formatFaithfulness(value)}`;
    }
  }

  /** The chosen method's 2D where this head has it, else PCA (always written first). */
  private pick(info: HeadInfo, projection: string) {
    const ready = this.ctx.manifest.ready[headKey(info.layer, info.head)] ?? [];
    return ready.includes(projection) ? projection : 'pca2d';
  }

  resize() {
    if (this.root.hidden) return;
    const { layers, heads } = this.ctx.manifest.model;
    const avail = this.root.getBoundingClientRect();
    const size = Math.floor(Math.max(24, Math.min((avail.width - 40) / heads, (avail.height - 30) / layers)));
    this.cellSize = size;
    this.stage.style.width = `${size * heads}px`;
    this.stage.style.height = `${size * layers}px`;
    this.overlay.style.gridTemplateColumns = `repeat(${heads}, ${size}px)`;
    this.overlay.style.gridTemplateRows = `repeat(${layers}, ${size}px)`;
    const grid = this.root.querySelector<HTMLElement>('.matrix-grid')!;
    grid.style.setProperty('--cell', `${size}px`);
    this.rebuild();
  }

  /** Page rectangles of the cells (for tests). */
  cells(): CellRect[] {
    return Array.from(this.overlay.querySelectorAll<HTMLElement>('.matrix-cell')).map((el) => {
      const r = el.getBoundingClientRect();
      return { layer: +el.dataset.layer!, head: +el.dataset.head!, x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
    });
  }

  /** One buffer of clip-space points for all loaded heads, thinned to the point budget. */
  private rebuild() {
    const { layers, heads } = this.ctx.manifest.model;
    const n = this.ctx.tokens.count;
    const size = this.cellSize, W = size * heads, H = size * layers;
    const perHead = Math.max(MIN_PER_HEAD, Math.floor(POINT_BUDGET / this.ctx.manifest.heads.length));
    const tokensPerHead = Math.min(n, Math.floor(perHead / 2));
    const stride = n / tokensPerHead; // ≥ 1: take evenly spaced tokens, each with its query and its key
    const total = tokensPerHead * 2 * this.loaded.size;
    const pos = new Float32Array(total * 2);   // [points, xy] clip space
    const col = new Uint8Array(total * 4);     // [points, rgba]
    let k = 0;
    for (const info of this.ctx.manifest.heads) {
      const p = this.loaded.get(headKey(info.layer, info.head));
      if (!p) continue;
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (let i = 0; i < p.x.length; i++) {
        x0 = Math.min(x0, p.x[i]); x1 = Math.max(x1, p.x[i]);
        y0 = Math.min(y0, p.y[i]); y1 = Math.max(y1, p.y[i]);
      }
      const inner = size - 2 * PAD;
      const scale = inner / Math.max(x1 - x0, y1 - y0, 1e-12); // px per unit, same on both axes
      const ox = info.head * size + size / 2, oy = info.layer * size + size / 2;
      const mx = (x0 + x1) / 2, my = (y0 + y1) / 2;
      for (let s = 0; s < tokensPerHead; s++) {
        const t = Math.floor(s * stride);
        for (const [row, c] of [[t, QUERY], [n + t, KEY]] as const) {
          const px = ox + (p.x[row] - mx) * scale, py = oy - (p.y[row] - my) * scale;
          pos[2 * k] = px / W * 2 - 1;
          pos[2 * k + 1] = 1 - py / H * 2;
          col.set([c[0], c[1], c[2], 200], 4 * k);
          k++;
        }
      }
    }
    this.plot.matrix = identity();
    this.plot.setLayer('points', 'points', pos, col, { size: Math.max(1.5, Math.min(3, size / 40)) });
  }
}
