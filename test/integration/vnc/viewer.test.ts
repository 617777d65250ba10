import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { expectConverges, fbImage, wsUrlOf } from '../../helpers/converge.js';
import { keyEventsFor } from '../../helpers/keysyms.js';
import { startQemu, type QemuVm } from '../../helpers/qemu.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { Encoding } from '../../../protocols/rfb/constants.js';

const PASSWORD = 'qemu-pw';

const wsUrl = wsUrlOf;
const expectViewerMatchesGuest = (vm: QemuVm, v: WsRfbClient) =>
  expectConverges(
    () => fbImage(v.fb!),
    () => vm.screendump(),
    "the viewer vs the guest's screen",
  );

describe('viewer over WebSocket, QEMU busybox guest as the BMC', () => {
  let vm: QemuVm;
  let gw: TestGateway;

  beforeAll(async () => {
    vm = await startQemu({ mode: 'busybox', vncPassword: PASSWORD });
    await vm.waitForShell();
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['vm1'] }],
      servers: [
        { id: 'vm1', location: 'NL', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD } },
        { id: 'other', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD } },
      ],
    });
  }, 180_000);

  afterAll(async () => {
    await gw?.close();
    await vm?.stop();
  });

  for (const [label, encodings] of [
    ['Tight', [Encoding.Tight, Encoding.CopyRect, Encoding.Raw, Encoding.DesktopSize]],
    ['Raw', [Encoding.Raw, Encoding.DesktopSize]],
  ] as const) {
    it(`shows the guest's screen and types into it (viewer asks for ${label})`, async () => {
      const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'vm1' });
      expect(body.result, JSON.stringify(body)).toBe('OK');
      const v = new WsRfbClient(wsUrl(body.scope), { encodings: [...encodings] });
      await v.ready();
      expect(v.name).toBeTruthy();
      await expectViewerMatchesGuest(vm, v);

      const marker = `gw-typed-${label.toLowerCase()}-${Date.now() % 100000}`;
      for (const k of keyEventsFor(`echo ${marker} >/dev/ttyS0\n`)) v.key(k.keysym, k.down);
      await vm.waitForSerial(marker, 20_000);
      // and the echo of what was typed reached the viewer too
      await expectViewerMatchesGuest(vm, v);
      v.close();
      await v.closed();
    });
  }

  it('uses a viewer URL once only', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'vm1' });
    const v1 = new WsRfbClient(wsUrl(body.scope));
    await v1.ready();
    const v2 = new WsRfbClient(wsUrl(body.scope));
    await expect(v2.ready()).rejects.toThrow(/already used|unknown|expired/);
    expect(v2.closeCode).toBe(4000);
    v1.close();
  });

  it('refuses a token for a server it may not open, a wrong token, and an unknown server', async () => {
    expect((await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'other' })).body.error.code).toBe('GW_ERR_FORBIDDEN_SERVER');
    expect((await eqPhp(gw, { action: 'novnc', token: 'nope-nope-nope', id: 'vm1' })).body.error.code).toBe('GW_ERR_BAD_TOKEN');
    const unknown = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('GW_ERR_UNKNOWN_SERVER');
  });
});
