import { describe, expect, it, vi } from 'vitest';
import { Framebuffer } from '../../../../protocols/rfb/framebuffer.js';
import { FIRST_UPDATE_WAIT_MS, PREVIEW_MAX_BYTES, PREVIEW_MAX_WIDTH, PREVIEW_REUSE_MS, previewImg, screenPreview } from '../../../../src/session/preview.js';
import type { Session } from '../../../../src/session/session.js';
import { parsePng, pngRgbx } from '../../../helpers/png.js';
import { prng } from '../../../helpers/prng.js';

/** What screenPreview reads of a session. */
function fakeSession(width: number, height: number): Session & { fb: Framebuffer } {
  const fb = new Framebuffer(width, height);
  // A recognisable picture: a red square on blue.
  fb.fillRect(0, 0, width, height, 0, 0, 200);
  fb.fillRect(8, 8, 16, 16, 255, 0, 0);
  const s = {
    fb,
    hasPicture: true,
    updatesIn: 1,
    fbChanges: 1,
    state: 'connected',
    waited: 0,
    firstUpdate: (ms: number) => {
      s.waited += ms;
      return Promise.resolve();
    },
  };
  return s as unknown as Session & { fb: Framebuffer };
}

describe('console page preview (src/session/preview.ts)', () => {
  it("is the framebuffer's picture as a PNG", async () => {
    const s = fakeSession(64, 48);
    const img = pngRgbx(parsePng((await screenPreview(s))!));
    expect([img.width, img.height]).toEqual([64, 48]);
    expect([...img.rgbx.subarray(0, 3)]).toEqual([0, 0, 200]);
    const at = (8 * 64 + 8) * 4;
    expect([...img.rgbx.subarray(at, at + 3)]).toEqual([255, 0, 0]);
  });

  it(`is encoded once per picture, and at most once per ${PREVIEW_REUSE_MS} ms while the screen changes`, async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const s = fakeSession(64, 48);
    const a = await screenPreview(s);
    expect(await screenPreview(s)).toBe(a);
    s.fb.fillRect(0, 0, 8, 8, 0, 255, 0);
    (s as { fbChanges: number }).fbChanges++;
    vi.advanceTimersByTime(PREVIEW_REUSE_MS - 10);
    expect(await screenPreview(s), 'a changed screen within the reuse time: the kept picture').toBe(a);
    vi.advanceTimersByTime(10);
    const b = await screenPreview(s);
    expect(b).not.toBe(a);
    const img = pngRgbx(parsePng(b!));
    expect([...img.rgbx.subarray(0, 3)]).toEqual([0, 255, 0]);
    expect(await screenPreview(s), 'unchanged: the same buffer').toBe(b);
    vi.useRealTimers();
  });

  it('is not made before the first update from the BMC, nor for an ended session', async () => {
    const s = fakeSession(32, 32) as unknown as { updatesIn: number; state: string; hasPicture: boolean; waited: number };
    s.updatesIn = 0;
    expect(await screenPreview(s as unknown as Session)).toBeUndefined();
    expect(s.waited, 'it waited for the first update, bounded').toBe(FIRST_UPDATE_WAIT_MS);
    s.updatesIn = 1;
    s.hasPicture = false;
    expect(await screenPreview(s as unknown as Session)).toBeUndefined();
    s.hasPicture = true;
    s.state = 'ended';
    expect(await screenPreview(s as unknown as Session)).toBeUndefined();
  });

  it(`screens wider than ${PREVIEW_MAX_WIDTH} pixels are scaled down by a whole factor`, async () => {
    const s = fakeSession(2560, 1440);
    const img = parsePng((await screenPreview(s))!);
    expect([img.width, img.height]).toEqual([1280, 720]);
  });

  it(`a PNG over ${PREVIEW_MAX_BYTES} bytes (a noisy screen) is not sent`, async () => {
    const s = fakeSession(1024, 768);
    const rnd = prng(7);
    for (let i = 0; i < s.fb.data.length; i++) s.fb.data[i] = Math.floor(rnd() * 256);
    expect(await screenPreview(s)).toBeUndefined();
  });

  it('is an <img> with a data URL (the page allows img-src data:)', () => {
    expect(previewImg(Buffer.from([1, 2, 3]))).toBe('<img id="preview" alt="" aria-hidden="true" src="data:image/png;base64,AQID">');
  });
});
