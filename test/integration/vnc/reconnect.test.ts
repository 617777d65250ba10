import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { compareImages, fromRgbx, isBlank } from '../../helpers/images.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

describe('BMC dropping the link', () => {
  let vm: QemuVm;
  let gw: TestGateway;

  beforeAll(async () => {
    vm = await startQemu({ mode: 'seabios', vncPassword: 'recon-pw' });
    await vm.waitForScreen((s) => !isBlank(s), 30_000);
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [{ id: 'r1', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: 'recon-pw' } }],
      sessions: { reconnectBudget: '60s' },
    });
  }, 120_000);

  afterAll(async () => {
    await gw?.close();
    await vm?.stop();
  });

  it('keeps the session and its viewer, reports reconnecting, and resumes on the new screen', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'r1' });
    const session = gw.registry.get(body.key)!;
    const v = new WsRfbClient(body.scope.replace(/^http/, 'ws').replace('/console/', '/ws/'));
    await v.ready();
    const states: string[] = [];
    const poll = setInterval(() => states.push(session.state), 50);
    await v.waitFor(() => v.updates > 0);
    const rectsBefore = Object.values(session.stats.upstreamRects).reduce((a, b) => a + b, 0);
    await vm.kill();
    await expect.poll(() => session.state, { timeout: 10_000 }).toBe('reconnecting');
    // the page can see that state through the status endpoint
    const key = body.scope.split('/').pop();
    const st = (await (await fetch(`${gw.url}/api/v1/viewer/${key}/status`)).json()) as { state: string };
    expect(st.state).toBe('reconnecting');

    await vm.restart();
    await expect.poll(() => session.state, { timeout: 30_000 }).toBe('connected');
    clearInterval(poll);
    expect(states).toContain('reconnecting');
    expect(v.closeCode).toBeUndefined();
    // the new link delivered pictures into the same shadow framebuffer
    await expect.poll(() => Object.values(session.stats.upstreamRects).reduce((a, b) => a + b, 0), { timeout: 15_000 }).toBeGreaterThan(rectsBefore);
    // the viewer follows the restarted guest's screen without reconnecting itself
    await expect
      .poll(
        async () => {
          const guest = await vm.screendump();
          const c = compareImages(fromRgbx(v.fb!.width, v.fb!.height, v.fb!.data), guest);
          return c.sameSize && c.differing === 0;
        },
        { timeout: 30_000, interval: 300 },
      )
      .toBe(true);
    expect(gw.registry.get(session.id)).toBe(session);
    v.close();
  });
});
