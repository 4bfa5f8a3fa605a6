// Image panel (image runs; it takes the sentence panel's place): the selected query's image with its patch
// outlined and its attention over the image's patches as a heat overlay, one rectangle per patch; the [CLS] key's
// weight is written as a number. Clicking a patch selects that patch's query; the [CLS] button selects [CLS]'s.
import type { SentenceAttention } from './api';
import { ImageStore, thumbnailFigure, type ImageInfo } from './images';

/** Overlay colour and its opacity for the most attended patch (opacity ∝ weight / the largest patch weight). */
export const HEAT = [255, 220, 0] as const;
export const HEAT_MAX_OPACITY = 0.85;
const LONG_SIDE = 300; // CSS px
const SVG = 'http://www.w3.org/2000/svg';

export function renderImagePanel(
  panel: HTMLElement, store: ImageStore, info: ImageInfo, att: SentenceAttention, selectedPos: number, head: string,
  onSelect: (pos: number) => void,
) {
  const { rows, cols } = store;
  const weights = att.weights[selectedPos]; // [1 + rows·cols]: [CLS], then patches row by row
  if (weights.length !== 1 + rows * cols)
    throw new Error(`image ${att.sentence}: ${weights.length} attention weights, expected 1 + ${rows}×${cols} patches`);
  let max = 0;
  for (let p = 1; p < weights.length; p++) max = Math.max(max, weights[p]);

  panel.innerHTML = '';
  const title = document.createElement('h3');
  title.textContent = `${head} · image ${att.sentence}`;
  const path = document.createElement('p');
  path.className = 'image-path';
  path.dataset.testid = 'image-path';
  path.textContent = info.path;
  const query = document.createElement('p');
  query.dataset.testid = 'image-query';
  query.textContent = selectedPos === 0
    ? 'query: [CLS]'
    : `query: patch row ${Math.floor((selectedPos - 1) / cols)}, column ${(selectedPos - 1) % cols} (outlined)`;

  const cls = document.createElement('button');
  cls.className = 'cls-weight';
  cls.dataset.testid = 'cls-weight';
  cls.dataset.weight = String(weights[0]);
  cls.title = 'select the [CLS] query';
  cls.textContent = `[CLS] key weight ${weights[0].toFixed(3)}`;
  if (selectedPos === 0) cls.classList.add('selected');
  cls.addEventListener('click', () => onSelect(0));

  const outline = selectedPos > 0 ? { row: Math.floor((selectedPos - 1) / cols), col: (selectedPos - 1) % cols } : null;
  const figure = thumbnailFigure(store, att.sentence, info, LONG_SIDE, outline);
  figure.dataset.testid = 'image-figure';
  const { width, height } = ImageStore.displaySize(info, LONG_SIDE);
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.classList.add('heat');
  svg.dataset.testid = 'heat-overlay';
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const pos = 1 + r * cols + c, w = weights[pos], box = store.patchRect(r, c, width, height);
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('x', String(box.x));
    rect.setAttribute('y', String(box.y));
    rect.setAttribute('width', String(box.width));
    rect.setAttribute('height', String(box.height));
    rect.setAttribute('fill', `rgb(${HEAT.join(',')})`);
    const opacity = max > 0 ? (HEAT_MAX_OPACITY * w) / max : 0;
    rect.setAttribute('fill-opacity', String(opacity));
    rect.dataset.testid = 'patch-cell';
    rect.dataset.row = String(r);
    rect.dataset.col = String(c);
    rect.dataset.weight = String(w);
    rect.dataset.opacity = String(opacity);
    const tip = document.createElementNS(SVG, 'title');
    tip.textContent = `patch ${r},${c}: weight ${w.toFixed(3)} (click to select its query)`;
    rect.append(tip);
    rect.addEventListener('click', () => onSelect(pos));
    svg.append(rect);
  }
  // The outline stays above the heat: move it after the overlay.
  const outlineBox = figure.querySelector('.patch-outline');
  figure.append(svg);
  if (outlineBox) figure.append(outlineBox);

  const caption = document.createElement('p');
  caption.className = 'hint';
  caption.textContent = `overlay: attention over the patches, opacity = weight / largest patch weight (${max.toFixed(3)}); click a patch to select its query`;
  panel.append(title, path, query, figure, cls, caption);
}
