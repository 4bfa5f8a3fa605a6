// The explorer shell: loads the run, routes between the matrix view (#/) and a head view (#/head/L/H),
// and polls the manifest so projections the build adds later become selectable.
import './style.css';
import { fetchManifest, isImageRun, type Manifest } from './api';
import { loadTokens } from './data';
import { state } from './hooks';
import { MatrixView } from './matrix';
import { HeadView } from './head';
import { ProjectionChoice } from './choice';
import { colorModesFor, type ColorMode } from './colormodes';
import { ImageStore } from './images';

export interface AppContext {
  manifest: Manifest;
  tokens: Awaited<ReturnType<typeof loadTokens>>;
  /** thumbnails of an image run; null for text runs */
  images: ImageStore | null;
  setStatus(text: string): void;
  openHead(layer: number, head: number): void;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const colorSelect = $<HTMLSelectElement>('color-by');
const choice = new ProjectionChoice($<HTMLSelectElement>('method'), $<HTMLSelectElement>('dims'));
const POLL_MS = 1500;

function showError(e: unknown) {
  state.view = 'error';
  state.error = e instanceof Error ? e.message : String(e);
  $('status').textContent = `error: ${state.error}`;
  $('status').classList.add('error');
}

async function start() {
  const [manifest, tokens] = await Promise.all([fetchManifest(), loadTokens()]);
  const kind = isImageRun(manifest) ? 'images' : 'text';
  if (kind === 'images' && !tokens.patches) throw new Error('an image run\'s tokens.arrow lacks the patch columns (patch_row, …)');
  state.corpusKind = kind;
  for (const m of colorModesFor(kind)) colorSelect.append(new Option(m.label, m.id));
  const ctx: AppContext = {
    manifest, tokens,
    images: kind === 'images' ? new ImageStore(manifest.model.patchRows ?? 0, manifest.model.patchCols ?? 0) : null,
    setStatus: (text) => { $('status').textContent = text; },
    openHead: (layer, head) => { location.hash = `#/head/${layer}/${head}`; },
  };
  state.ready_projections = manifest.ready;
  $('run-info').textContent =
    `${manifest.model.name}: ${manifest.model.layers} layers × ${manifest.model.heads} heads · ` +
    `${manifest.corpus.sentences} ${kind === 'images' ? 'images' : 'sentences'} · ${tokens.count} tokens`;

  const matrix = new MatrixView($('matrix'), ctx);
  const headView = new HeadView($('head'), ctx);

  // A method is offered for the current head (head view) or for any head (matrix view) once its file exists.
  const updateProjectionChoices = () => {
    state.projection = choice.update(ctx.manifest, state.view === 'head' ? { layer: state.layer, head: state.head } : null);
    state.method = choice.shown.method;
    state.dims = choice.shown.dims;
  };

  const route = () => {
    const m = /^#\/head\/(\d+)\/(\d+)$/.exec(location.hash);
    state.ready = false;
    state.hovered = null;
    if (m) {
      state.view = 'head';
      state.layer = +m[1];
      state.head = +m[2];
      updateProjectionChoices();
      matrix.hide();
      $('back').hidden = false;
      $('color-by-label').hidden = false;
      $('dims-label').hidden = false;
      headView.show(state.layer, state.head, state.projection).catch(showError);
    } else {
      state.view = 'matrix';
      state.layer = state.head = -1;
      state.selected = null;
      state.lines = [];
      updateProjectionChoices();
      headView.hide();
      $('back').hidden = true;
      $('color-by-label').hidden = true;
      $('dims-label').hidden = true;
      matrix.show(state.projection).catch(showError);
    }
  };

  $('back').addEventListener('click', () => { location.hash = '#/'; });
  $('method').addEventListener('change', (e) => {
    choice.method = (e.target as HTMLSelectElement).value;
    route();
  });
  $('dims').addEventListener('change', (e) => {
    choice.dims = +(e.target as HTMLSelectElement).value as 2 | 3;
    route();
  });
  colorSelect.addEventListener('change', () => {
    state.colorBy = colorSelect.value as ColorMode;
    headView.recolor().catch(showError);
  });
  window.addEventListener('hashchange', route);
  window.addEventListener('resize', () => (state.view === 'head' ? headView.resize() : matrix.resize()));

  // Poll until every planned projection of every head exists and has been measured (metrics.json is written
  // just after each projection file; a build killed between the two never writes it, so give up after a while).
  const allReady = () => ctx.manifest.heads.every((h) =>
    ctx.manifest.projections.every((p) => (ctx.manifest.ready[`L${h.layer}_H${h.head}`] ?? []).includes(p)));
  const allMeasured = () => ctx.manifest.heads.every((h) => {
    const key = `L${h.layer}_H${h.head}`, f = ctx.manifest.metrics?.[key]?.faithfulness ?? {};
    return (ctx.manifest.ready[key] ?? []).every((p) => p in f);
  });
  let pollsAfterReady = 0;
  const MAX_POLLS_AFTER_READY = 20;
  const poll = async () => {
    if (allReady() && (allMeasured() || ++pollsAfterReady > MAX_POLLS_AFTER_READY)) return;
    try {
      const fresh = await fetchManifest();
      const changed = JSON.stringify(fresh.ready) !== JSON.stringify(ctx.manifest.ready);
      const metricsChanged = JSON.stringify(fresh.metrics ?? {}) !== JSON.stringify(ctx.manifest.metrics ?? {});
      ctx.manifest = fresh;
      state.ready_projections = fresh.ready;
      if (metricsChanged) { matrix.updateFaithfulness(); headView.updateFaithfulness(); }
      if (changed) {
        const before = state.projection;
        updateProjectionChoices();
        // The matrix shows each head's file of the chosen method as it appears; a head view keeps its projection
        // unless it had to fall back (then it shows the fallback).
        if (state.view === 'matrix' && state.method !== 'pca') matrix.show(state.projection).catch(showError);
        else if (state.view === 'head' && state.projection !== before) route();
      }
    } catch { /* the server may be restarting; try again */ }
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
  route();
}

start().catch(showError);
