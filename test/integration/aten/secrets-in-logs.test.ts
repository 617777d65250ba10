import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { validate } from '../../../src/config/load.js';
import { ConfigReader } from '../../../src/config/reader.js';
import { createLogger } from '../../../src/log.js';
import { buildGateway, type Gateway } from '../../../src/server.js';
import { eqPhp, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { freePort } from '../../helpers/ports.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { atenConsole, BMC_PASSWORD, meanAbsError, startAtenBmc, until, wsUrl, type AtenBmc } from './helpers.js';

describe('aten console: no BMC secret reaches the log', () => {
  let bmc: AtenBmc | undefined;
  let gw: Gateway | undefined;
  afterAll(async () => {
    await gw?.close();
    await bmc?.close();
  });

  it('neither the web password nor the JNLP one-time credentials are logged, at debug level, through open, use, errors and close', async () => {
    bmc = await startAtenBmc({ kvm: { width: 800, height: 600 } });
    const issued: string[] = [];
    const issue = bmc.kvm.issueCredentials.bind(bmc.kvm);
    bmc.kvm.issueCredentials = () => {
      const c = issue();
      issued.push(c.user, c.password);
      return c;
    };
    const lines: string[] = [];
    const out = new PassThrough();
    out.on('data', (d: Buffer) => lines.push(d.toString('utf8')));
    const port = await freePort();
    const r = new ConfigReader();
    const cfg = validate(r, {
      listen: `127.0.0.1:${port}`,
      publicUrl: `http://127.0.0.1:${port}`,
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      servers: [
        { id: 'x9', console: atenConsole(bmc) },
        { id: 'x9-wrong', console: atenConsole(bmc, { password: 'wrong-secret-pw' }) },
      ],
    }, 'test');
    if (!cfg) throw new Error(r.problems.join('; '));
    gw = await buildGateway(cfg, createLogger('trace', out));
    await gw.app.listen({ host: '127.0.0.1', port });
    const tgw = { ...gw, url: `http://127.0.0.1:${port}`, port } as TestGateway;

    const { body } = await eqPhp(tgw, { action: 'novnc', token: TEST_TOKEN, id: 'x9' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    const v = new WsRfbClient(wsUrl(body.scope));
    await v.ready();
    await v.waitFor(() => meanAbsError(v.fb!.data, bmc!.kvm.screen.rgbx) < 8);
    v.key(0x61, true);
    v.key(0x61, false);
    await until(() => bmc!.kvm.keys.length >= 2, 'keys at the simulator');
    v.close();
    expect((await eqPhp(tgw, { action: 'novnc', token: TEST_TOKEN, id: 'x9-wrong' })).body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    // A dropped KVM link: the source logs in again with fresh credentials.
    bmc.kvm.dropSessions();
    await until(() => issued.length >= 4, 'a reconnect with fresh credentials', 15_000);
    await gw.close();
    gw = undefined;
    await until(() => bmc!.web.logouts >= 2, 'the web logouts');

    const log = lines.join('');
    expect(log.length).toBeGreaterThan(0);
    expect(log).toContain('aten-connected'); // the log did see the ATEN source at work
    for (const secret of [BMC_PASSWORD, 'wrong-secret-pw', ...issued]) expect(log, `log contains ${secret}`).not.toContain(secret);
  });
});
