import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREVIEW_REUSE_MS } from '../../../src/session/preview.js';
import type { Session } from '../../../src/session/session.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { fbImage } from '../../helpers/converge.js';
import { compareImages, isBlank } from '../../helpers/images.js';
import { pngImage } from '../../helpers/png.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

// The console page's preview (src/session/preview.ts): the page of an unused key carries the
// console's screen as the gateway holds it, as a PNG in an <img>; used, unknown and ended keys get the
// page without it. QEMU (SeaBIOS) is the BMC.

const PASSWORD = 'preview-pw';
const ws = (scope: string) => scope.replace(/^http/, 'ws').replace('/console/', '/ws/');
const PREVIEW = /<img id="preview" alt="" aria-hidden="true" src="data:image\/png;base64,([A-Za-z0-9+/=]+)">/;

/** The page at `scope`: status, cache header and the preview's PNG when it has one. */
async function page(scope: string): Promise<{ status: number; cache: string | null; png: Buffer | undefined; html: string }> {
  const res = await fetch(scope);
  const html = await res.text();
  const m = PREVIEW.exec(html);
  return { status: res.status, cache: res.headers.get('cache-control'), png: m ? Buffer.from(m[1]!, 'base64') : undefined, html };
}

describe('console page preview (QEMU SeaBIOS as the BMC)', () => {
  let vm: QemuVm;
  let gw: TestGateway;

  beforeAll(async () => {
    vm = await startQemu({ mode: 'seabios', vncPassword: PASSWORD });
    await vm.waitForScreen((s) => !isBlank(s), 30_000);
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'bios', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD } }],
    });
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await vm?.stop();
  });

  it("an unused key's page shows the console's screen as the gateway holds it, not cached", async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios' });
    const session: Session = gw.registry.get(body.key)!;
    // SeaBIOS clears its screen now and then: wait for text on it.
    await expect.poll(() => isBlank(fbImage(session.fb)), { timeout: 30_000 }).toBe(false);
    // The screen may change while the page is made (SeaBIOS prints); compare when it did not. A
    // preview up to PREVIEW_REUSE_MS old is reused on a screen that changed (by design: one PNG a
    // second at most), so a retry first waits that long: then the page's picture is made anew.
    let compared = false;
    for (let i = 0; i < 10 && !compared; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, PREVIEW_REUSE_MS + 50));
      const before = session.fbChanges;
      const p = await page(body.scope);
      expect(p.status).toBe(200);
      expect(p.cache).toBe('no-store');
      expect(p.png, 'the page has a preview').toBeDefined();
      if (session.fbChanges !== before) continue;
      const img = pngImage(p.png!);
      expect([img.width, img.height]).toEqual([session.fb.width, session.fb.height]);
      expect(compareImages(img, fbImage(session.fb)).differing, 'preview pixels equal the shadow framebuffer').toBe(0);
      expect(isBlank(img), 'a picture, not one colour').toBe(false);
      compared = true;
    }
    expect(compared, 'the screen kept changing while the page was fetched').toBe(true);
    // The preview sits in the screen's element, where noVNC's canvas will go.
    const p = await page(body.scope);
    expect(p.html).toMatch(/<main id="screen"><img id="preview"[^>]*><\/main>/);
    session.end('test done');
  });

  it('two keys of one console show the same picture', async () => {
    const a = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios' });
    const b = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios' });
    expect(b.body.joined).toBe(true);
    const session = gw.registry.get(a.body.key)!;
    for (let i = 0; i < 10; i++) {
      const before = session.fbChanges;
      const [pa, pb] = [await page(a.body.scope), await page(b.body.scope)];
      if (session.fbChanges !== before) continue;
      expect(pa.png).toBeDefined();
      expect(pb.png!.equals(pa.png!)).toBe(true);
      break;
    }
    session.end('test done');
  });

  it('a used key, an unknown key and an ended session get the page without the screen', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios' });
    expect((await page(body.scope)).png).toBeDefined();
    const v = new WsRfbClient(ws(body.scope));
    await v.ready();
    const used = await page(body.scope);
    expect(used.status).toBe(404);
    expect(used.png).toBeUndefined();
    expect(used.html).toContain('<main id="screen"></main>');
    v.close();

    const unknown = await page(`${gw.url}/console/${'A'.repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.png).toBeUndefined();

    const second = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'bios' });
    gw.registry.get(second.body.key)!.end('ended by the test');
    const ended = await page(second.body.scope);
    expect(ended.png).toBeUndefined();
    expect(ended.html).toContain('<main id="screen"></main>');
  });
});
