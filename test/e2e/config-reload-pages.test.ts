import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../src/config/load.js';
import { ConfigReader } from '../../src/config/reader.js';
import type { GatewayConfig } from '../../src/config/types.js';
import { startIpmiResponder, type IpmiResponder } from '../../src/demo/ipmi-bmc.js';
import { startDemoServer, type DemoServer } from '../../src/sources/demo/demo-server.js';
import { launchChromium } from '../helpers/browser.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';

// The end code of a configuration reload (`config-changed`) as people read it: the console page and
// the serial console page, in English and with a Russian browser. The reload is applyConfig, what
// SIGHUP runs after reading the file (the signal itself: test/integration/config-reload.test.ts).

describe('pages after a configuration reload changed their server', () => {
  let rfb: DemoServer;
  let bmc: IpmiResponder;
  let gw: TestGateway;
  let browser: Browser;

  const raw = (name: string) => ({
    listen: `127.0.0.1:${gw?.port ?? 0}`,
    publicUrl: gw?.url,
    tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
    servers: [
      {
        id: 'r1',
        name,
        console: { type: 'vnc', host: rfb.host, port: rfb.port, password: rfb.password },
        ipmi: { host: bmc.host, port: bmc.port, user: 'admin', password: 'reload-pw', cipherSuite: 17 },
      },
    ],
  });
  const reloadWithName = (name: string) => {
    const r = new ConfigReader();
    const next = validate(r, raw(name), 'test');
    expect(r.problems).toEqual([]);
    return gw.applyConfig(next as GatewayConfig);
  };

  beforeAll(async () => {
    [rfb, bmc, browser] = await Promise.all([
      startDemoServer({ host: '127.0.0.1', port: 0 }),
      startIpmiResponder({ user: 'admin', password: 'reload-pw' }),
      launchChromium(),
    ]);
    const { listen: _l, publicUrl: _p, ...rest } = raw('Rack 4');
    gw = await startTestGateway(rest);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await Promise.all([rfb?.close(), bmc?.stop()]);
  });

  for (const [locale, consoleText, solText] of [
    ['en-US', "The console is closed: the server's configuration changed", "The serial console is closed: the server's configuration changed"],
    ['ru-RU', 'Консоль закрыта: настройки сервера изменились', 'Последовательная консоль закрыта: настройки сервера изменились'],
  ] as const) {
    it(`says why in ${locale}`, async () => {
      const context = await browser.newContext({ locale });
      try {
        const kvm = await context.newPage();
        await kvm.goto((await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'r1' })).body.scope);
        await kvm.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
        const sol = await context.newPage();
        await sol.goto((await eqPhp(gw, { action: 'sol', token: TEST_TOKEN, id: 'r1' })).body.scope);
        await sol.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
        const result = reloadWithName(locale === 'en-US' ? 'Rack 4 (renamed)' : 'Rack 4');
        expect(result).toMatchObject({ changed: ['r1'], ended: 2 });
        await kvm.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
        expect(await kvm.textContent('#message')).toBe(consoleText);
        await sol.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
        expect(await sol.textContent('#message')).toBe(solText);
      } finally {
        await context.close();
      }
    }, 60_000);
  }
});
