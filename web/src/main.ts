// The explorer shell: loads the run, routes between the matrix view (#/) and a head view (#/head/L/H),
// and polls the manifest so projections the build adds later become selectable.
import './style.css';
import { fetchManifest, type Manifest } from './api';
import { loadTokens } from './data';
import { state } from './hooks';
import { MatrixView } from './matrix';
import { HeadView } from './head';
import { ProjectionChoice } from './choice';
import { COLOR_MODES, type ColorMode } from './colormodes';

export interface AppContext {
  manifest: Manifest;
  tokens: Awaited<ReturnType<typeof loadTokens>>;
  setStatus(text: string): void;
  openHead(layer: number, head: number): void;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const colorSelect = $<HTMLSelectElement>('color-by');
const choice = new ProjectionChoice($<HTMLSelectElement>('method'), $<HTMLSelectElement>('dims'));
for (const m of COLOR_MODES) colorSelect.append(new Option(m.label, m.id));
const POLL_MS = 1500;

function showError(e: unknown) {
  state.view = 'error';
  state.error = e instanceof Error ? e.message : String(e);
  $('status').textContent = `error: ${state.error}`;
  $('status').classList.add('error');
}

async function start() {
  const [manifest, tokens] = await Promise.all([fetchManifest(), loadTokens()]);
  const ctx: AppContext = {
    manifest, tokens,
    setStatus: (text) => { $('status').textContent = text; },
    openHead: (layer, head) => { location.hash = `#/head/${layer}/${head}`; },
  };
  state.ready_projections = manifest.ready;
  $('run-info').textContent =
    `${manifest.model.name}: ${manifest.model.layers} layers × ${manifest.model.heads} heads · ` +
    `${manifest.corpus.sentences} sentences · ${tokens.count} tokens`;

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

  // Poll until every planned projection of every head exists.
  const allReady = () => ctx.manifest.heads.every((h) =>
    ctx.manifest.projections.every((p) => (ctx.manifest.ready[`L${h.layer}_H${h.head}`] ?? []).includes(p)));
  const poll = async () => {
    if (allReady()) return;
    try {
      const fresh = await fetchManifest();
      const changed = JSON.stringify(fresh.ready) !== JSON.stringify(ctx.manifest.ready);
      ctx.manifest = fresh;
      state.ready_projections = fresh.ready;
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
