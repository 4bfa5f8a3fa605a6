// Thumbnails of an image run (images.arrow, docs/run-format.md): each image's PNG bytes become a Blob URL once,
// on first use, and are kept. Also the thumbnail figure (image + one patch outlined) shared by tooltip and panel.
import type { Table } from 'apache-arrow';
import { fetchArrow } from './api';

export interface ImageInfo {
  path: string;          // relative to the image folder, '/' separators
  width: number;         // the original file's size
  height: number;
  thumbWidth: number;    // the thumbnail's size (the model's input, longer side ≤ 224)
  thumbHeight: number;
}

/** A rectangle in CSS pixels of a displayed thumbnail. */
export interface Rect { x: number; y: number; width: number; height: number }

export class ImageStore {
  private table: Promise<Table> | null = null;
  private urls = new Map<number, Promise<string>>();

  /** rows × cols: the model's patch grid (manifest model.patchRows / patchCols). */
  constructor(readonly rows: number, readonly cols: number) {
    if (!(rows > 0 && cols > 0)) throw new Error('manifest: an image run needs model.patchRows and model.patchCols > 0');
  }

  /** Starts fetching images.arrow (the head view does, so the first hover's thumbnail comes quickly). */
  preload() { this.load().catch(() => { /* reported when a thumbnail is asked for */ }); }

  private load(): Promise<Table> {
    if (!this.table) {
      this.table = fetchArrow('images.arrow');
      this.table.catch(() => { this.table = null; }); // a failed fetch may succeed later
    }
    return this.table;
  }

  async info(image: number): Promise<ImageInfo> {
    const t = await this.load();
    const row = t.get(image);
    if (!row) throw new Error(`images.arrow has no image ${image}`);
    return {
      path: row.path, width: row.width, height: row.height, thumbWidth: row.thumb_width, thumbHeight: row.thumb_height,
    };
  }

  /** A Blob URL of the image's PNG thumbnail (made once, kept for the page's life). */
  url(image: number): Promise<string> {
    let u = this.urls.get(image);
    if (!u) {
      u = this.load().then((t) => {
        const bytes = t.getChild('thumbnail')?.get(image) as Uint8Array | null;
        if (!bytes) throw new Error(`images.arrow: no thumbnail for image ${image}`);
        return URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
      });
      u.catch(() => this.urls.delete(image));
      this.urls.set(image, u);
    }
    return u;
  }

  /** Display size of a thumbnail whose longer side is drawn `longSide` CSS px. */
  static displaySize(info: ImageInfo, longSide: number) {
    const s = longSide / Math.max(info.thumbWidth, info.thumbHeight);
    return { width: Math.round(info.thumbWidth * s), height: Math.round(info.thumbHeight * s) };
  }

  /** Patch (row, col) in a thumbnail displayed at width × height: x ∈ [c·W/cols, (c+1)·W/cols), likewise y. */
  patchRect(row: number, col: number, width: number, height: number): Rect {
    const x0 = (col * width) / this.cols, x1 = ((col + 1) * width) / this.cols;
    const y0 = (row * height) / this.rows, y1 = ((row + 1) * height) / this.rows;
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  }
}

/**
 * A thumbnail at `longSide` CSS px with patch `outline` (row, col) framed, or none (null, e.g. for [CLS]). Returns
 * the figure at once; the image appears when its URL and pixels are ready, then `data-loaded` is set on the figure.
 */
export function thumbnailFigure(store: ImageStore, image: number, info: ImageInfo, longSide: number,
  outline: { row: number; col: number } | null): HTMLDivElement {
  const { width, height } = ImageStore.displaySize(info, longSide);
  const figure = document.createElement('div');
  figure.className = 'thumb';
  figure.style.width = `${width}px`;
  figure.style.height = `${height}px`;
  figure.dataset.image = String(image);
  const img = document.createElement('img');
  img.width = width;
  img.height = height;
  img.alt = info.path;
  // Small model inputs (e.g. 16 px) are shown much enlarged: keep their pixels sharp so patches stay visible.
  if (width >= 2 * info.thumbWidth) img.style.imageRendering = 'pixelated';
  figure.append(img);
  if (outline) {
    const r = store.patchRect(outline.row, outline.col, width, height);
    const box = document.createElement('div');
    box.className = 'patch-outline';
    box.dataset.testid = 'patch-outline';
    Object.assign(box.style, { left: `${r.x}px`, top: `${r.y}px`, width: `${r.width}px`, height: `${r.height}px` });
    figure.append(box);
  }
  store.url(image).then(async (url) => {
    img.src = url;
    await img.decode();
    figure.dataset.loaded = 'true';
  }).catch((e) => { figure.dataset.error = String(e); });
  return figure;
}
