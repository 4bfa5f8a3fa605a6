// The legend under the head plot: one swatch (or gradient) per entry of the current color mode.
import { css } from './colors';
import type { Coloring } from './colormodes';

export function renderLegend(root: HTMLElement, coloring: Coloring) {
  root.innerHTML = '';
  for (const e of coloring.legend) {
    const span = document.createElement('span');
    span.className = 'legend-entry';
    span.dataset.testid = 'legend-entry';
    const swatch = document.createElement('i');
    if (e.color) {
      swatch.style.background = css(e.color);
      span.dataset.color = e.color.slice(0, 3).map((v) => Math.round(v)).join(',');
    } else if (e.gradient) {
      swatch.className = 'ramp';
      swatch.style.background = `linear-gradient(to right, ${e.gradient.map((c) => css(c)).join(', ')})`;
    }
    span.append(swatch, document.createTextNode(e.label));
    root.append(span);
  }
  if (coloring.note) {
    const note = document.createElement('span');
    note.className = 'hint';
    note.textContent = coloring.note;
    root.append(note);
  }
}
