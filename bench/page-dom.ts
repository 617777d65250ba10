/**
 * The few browser types that functions run in a page (playwright's `page.evaluate`,
 * `waitForFunction`) touch: the project compiles without the DOM lib (it is a Node service). Types
 * only, imported with `import type`, so nothing of this module reaches the page.
 */
export interface PageContext2d {
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  drawImage(img: unknown, x: number, y: number): void;
}

export interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): PageContext2d | null;
}

export interface PageImage {
  complete: boolean;
  naturalWidth: number;
  naturalHeight: number;
}
