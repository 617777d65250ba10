import { afterAll, describe, expect, it } from 'vitest';
import { eqPhp, logCollector, startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { atenConsole, BMC_PASSWORD, meanAbsError, startAtenBmc, until, wsUrl, type AtenBmc } from './helpers.js';

/** Opens the console, waits for the BMC's picture, types "a", closes the viewer. */
async function viewAndType(gw: TestGateway, id: string, bmc: AtenBmc): Promise<void> {
  const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id });
  expect(body.result, JSON.stringify(body)).toBe('OK');
  const v = new WsRfbClient(wsUrl(body.scope));
  await v.ready();
  await v.waitFor(() => meanAbsError(v.fb!.data, bmc.kvm.screen.rgbx) < 8);
  const before = bmc.kvm.keys.length;
  v.key(0x61, true);
  v.key(0x61, false);
  await until(() => bmc.kvm.keys.length >= before + 2, 'keys at the simulator');
  v.close();
}

describe('aten console: no BMC secret reaches the log', () => {
  let bmc: AtenBmc | undefined;
  let gw: TestGateway | undefined;
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
    const logs = logCollector();
    gw = await startTestGateway(
      {
        tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
        servers: [
          { id: 'x9', console: atenConsole(bmc) },
          { id: 'x9-wrong', console: atenConsole(bmc, { password: 'wrong-secret-pw' }) },
        ],
      },
      { log: { level: 'trace', stream: logs.stream } },
    );
    const tgw = gw;

    await viewAndType(tgw, 'x9', bmc);
    expect((await eqPhp(tgw, { action: 'novnc', token: TEST_TOKEN, id: 'x9-wrong' })).body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
    // A dropped KVM link: the source logs in again with fresh credentials.
    bmc.kvm.dropSessions();
    await until(() => issued.length >= 4, 'a reconnect with fresh credentials', 15_000);
    await gw.close();
    gw = undefined;
    await until(() => bmc!.web.logouts >= 2, 'the web logouts');

    const log = logs.text();
    expect(log.length).toBeGreaterThan(0);
    expect(log).toContain('aten-connected'); // the log did see the ATEN source at work
    for (const secret of [BMC_PASSWORD, 'wrong-secret-pw', ...issued]) expect(log, `log contains ${secret}`).not.toContain(secret);
  });
});

describe('aten console over HTML5: no BMC secret reaches the log', () => {
  let bmc: AtenBmc | undefined;
  let gw: TestGateway | undefined;
  afterAll(async () => {
    await gw?.close();
    await bmc?.close();
  });

  it('neither the web password, the SID cookie, the entry_value tickets nor the CSRF token are logged, at trace level, through open, use, errors, fallback and close', async () => {
    bmc = await startAtenBmc({ kvm: { width: 800, height: 600 }, web: { html5: true } });
    const silent = await startAtenBmc({ kvm: { width: 640, height: 480 }, web: { html5: 'silent' } });
    const issued: string[] = [];
    for (const b of [bmc, silent]) {
      const issue = b.kvm.issueHtml5Ticket.bind(b.kvm);
      b.kvm.issueHtml5Ticket = () => {
        const t = issue();
        issued.push(t);
        return t;
      };
    }
    const logs = logCollector();
    gw = await startTestGateway(
      {
        tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
        servers: [
          { id: 'x11', console: atenConsole(bmc, { transport: 'html5' }) },
          { id: 'x11-wrong', console: atenConsole(bmc, { transport: 'html5', password: 'wrong-secret-pw' }) },
          { id: 'x10-silent', console: atenConsole(silent, { transport: 'auto', connectTimeout: '1500ms' }) },
        ],
      },
      { log: { level: 'trace', stream: logs.stream } },
    );
    const tgw = gw;
    try {
      await viewAndType(tgw, 'x11', bmc);
      expect((await eqPhp(tgw, { action: 'novnc', token: TEST_TOKEN, id: 'x11-wrong' })).body.error.code).toBe('GW_ERR_BMC_AUTH_FAILED');
      expect((await eqPhp(tgw, { action: 'novnc', token: TEST_TOKEN, id: 'x10-silent' })).body.result).toBe('OK');
      // A dropped KVM link: a new login, a new ticket.
      bmc.kvm.dropSessions();
      await until(() => bmc!.kvm.logins.filter((l) => l.accepted).length >= 2, 'a reconnect with a fresh ticket', 15_000);
      await gw.close();
      gw = undefined;
      await until(() => bmc!.web.logouts >= 2 && silent.web.logouts >= 1, 'the web logouts');
    } finally {
      await silent.close();
    }

    const log = logs.text();
    expect(log).toContain('"transport":"html5"'); // the log did see the HTML5 path at work
    expect(log).toContain('aten-html5-unavailable'); // and the fallback
    const sids = [...bmc.web.html5!.upgrades, ...silent.web.html5!.upgrades].map((u) => /SID=([^;]+)/.exec(u.cookie ?? '')![1]!);
    expect(sids.length).toBeGreaterThanOrEqual(3);
    expect(issued.length).toBeGreaterThanOrEqual(3);
    const csrf = [...bmc.web.html5!.csrfTokens, ...silent.web.html5!.csrfTokens];
    for (const secret of [BMC_PASSWORD, 'wrong-secret-pw', ...sids, ...issued, ...csrf]) expect(log, `log contains ${secret}`).not.toContain(secret);
  });
});
