// Token search: a text box that finds every token whose text matches, exactly or as a prefix. Matching ignores
// case and a tokenizer's word-piece marks (a leading '##', 'Ġ' or '▁'), so "whale" finds "whale", "Ġwhale"
// and (prefix) "whales".
import type { Tokens } from './data';

export type SearchMode = 'exact' | 'prefix';

export const normalizeToken = (text: string) => text.replace(/^(##|Ġ|▁)/, '').trim().toLowerCase();

/** Global indices of the matching tokens, in corpus order. */
export function matchTokens(tokens: Tokens, query: string, mode: SearchMode): Int32Array {
  const q = normalizeToken(query);
  const out: number[] = [];
  if (!q) return new Int32Array(0);
  for (let t = 0; t < tokens.count; t++) {
    const s = normalizeToken(tokens.text[t]);
    if (mode === 'exact' ? s === q : s.startsWith(q)) out.push(t);
  }
  return Int32Array.from(out);
}

/** The search controls; calls `onChange` with the matches (null when the box is empty). */
export class SearchBox {
  private input: HTMLInputElement;
  private mode: HTMLSelectElement;
  private count: HTMLSpanElement;

  constructor(root: HTMLElement, private tokens: () => Tokens, private onChange: (matches: Int32Array | null, query: string, mode: SearchMode) => void) {
    root.innerHTML = `
      <input type="search" placeholder="find token…" data-testid="search" size="14" />
      <select data-testid="search-mode"><option value="exact">exact</option><option value="prefix">prefix</option></select>
      <span class="hint" data-testid="search-count"></span>`;
    this.input = root.querySelector('input')!;
    this.mode = root.querySelector('select')!;
    this.count = root.querySelector('span')!;
    this.input.addEventListener('input', () => this.run());
    this.mode.addEventListener('change', () => this.run());
  }

  run() {
    const query = this.input.value, mode = this.mode.value as SearchMode;
    if (!normalizeToken(query)) {
      this.count.textContent = '';
      this.onChange(null, query, mode);
      return;
    }
    const matches = matchTokens(this.tokens(), query, mode);
    this.count.textContent = matches.length
      ? `${matches.length} token${matches.length === 1 ? '' : 's'} · ${2 * matches.length} points`
      : 'no match';
    this.onChange(matches, query, mode);
  }
}
