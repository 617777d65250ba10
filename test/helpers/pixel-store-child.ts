/**
 * Run by test/unit/src/session/pixel-store.test.ts in a process of its own (bundled, plain node), so
 * that no test runner's allocations set off collections: `count` (default 40) framebuffers of
 * 1024x768 are made and painted, then dropped, given up (`discard`) or not (`keep`). Prints the RSS
 * grown by them, what is left of it 1.5 s after they were dropped, and the collections the pixel
 * store started.
 */
import { Framebuffer } from '../../protocols/rfb/framebuffer.js';
import { installPixelStore, pixelStoreStats } from '../../src/session/pixel-store.js';

installPixelStore();

const discard = process.argv[2] === 'discard';
const count = Number(process.argv[3] ?? 40);
const mb = (): number => Math.round(process.memoryUsage().rss / 1048576);
const base = mb();
let fbs: Framebuffer[] | null = [];
for (let i = 0; i < count; i++) {
  const fb = new Framebuffer(1024, 768);
  fb.fillRect(0, 0, 1024, 768, i, 1, 2);
  fbs.push(fb);
}
const full = mb();
if (discard) for (const fb of fbs) fb.discard();
fbs = null;
await new Promise((r) => setTimeout(r, 1500));
console.log(JSON.stringify({ grown: full - base, left: mb() - base, collections: pixelStoreStats().collections, shared: pixelStoreStats().shared }));
