// Sentence panel: the selected sentence's tokens as queries (left) and keys (right), with a line from each query
// token to each key token it attends, opacity = attention weight (AttentionViz's sentence view).
import type { SentenceAttention } from './api';
import { KEY, QUERY, css } from './colors';

/** Lines below this weight are not drawn (they would be invisible anyway). */
export const MIN_PANEL_WEIGHT = 0.01;
const ROW = 18, WIDTH = 320, LEFT_X = 130, RIGHT_X = 190;
const SVG = 'http://www.w3.org/2000/svg';

export function renderSentencePanel(
  panel: HTMLElement, att: SentenceAttention, selectedPos: number, head: string, onSelect: (pos: number) => void,
) {
  const len = att.tokens.length;
  panel.innerHTML = '';
  const title = document.createElement('h3');
  title.textContent = `${head} · sentence ${att.sentence}`;
  const caption = document.createElement('p');
  caption.className = 'hint';
  caption.textContent = `queries → keys; line opacity = attention weight (≥ ${MIN_PANEL_WEIGHT})`;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('width', String(WIDTH));
  svg.setAttribute('height', String(len * ROW + 8));
  svg.dataset.testid = 'sentence-svg';

  const lines = document.createElementNS(SVG, 'g');
  const selected = document.createElementNS(SVG, 'g'); // drawn last, on top
  att.weights.forEach((row, q) => row.forEach((w, k) => {
    if (w < MIN_PANEL_WEIGHT) return;
    const line = document.createElementNS(SVG, 'line');
    line.setAttribute('x1', String(LEFT_X + 4));
    line.setAttribute('y1', String(q * ROW + ROW / 2 + 4));
    line.setAttribute('x2', String(RIGHT_X - 4));
    line.setAttribute('y2', String(k * ROW + ROW / 2 + 4));
    line.setAttribute('stroke-opacity', String(w));
    line.setAttribute('data-testid', 'attention-line');
    line.setAttribute('data-q', String(q));
    line.setAttribute('data-k', String(k));
    line.setAttribute('data-weight', String(w));
    const isSel = q === selectedPos;
    line.setAttribute('stroke', isSel ? css(QUERY) : '#888');
    line.setAttribute('stroke-width', isSel ? '2.5' : '1');
    (isSel ? selected : lines).append(line);
  }));
  svg.append(lines, selected);

  const text = (x: number, y: number, s: string, anchor: string, testid: string, pos: number, color: string) => {
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', String(x));
    t.setAttribute('y', String(y));
    t.setAttribute('text-anchor', anchor);
    t.setAttribute('fill', color);
    t.setAttribute('data-testid', testid);
    t.setAttribute('data-pos', String(pos));
    t.textContent = s;
    return t;
  };
  att.tokens.forEach((tok, i) => {
    const y = i * ROW + ROW / 2 + 8;
    const q = text(LEFT_X, y, tok, 'end', 'sentence-query', i, css(QUERY));
    if (i === selectedPos) q.classList.add('selected');
    q.addEventListener('click', () => onSelect(i));
    svg.append(q, text(RIGHT_X, y, tok, 'start', 'sentence-key', i, css(KEY)));
  });
  panel.append(title, caption, svg);
}
