import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../helpers/aten/self-signed.js';
import { launchChromium, readCanvasRgb } from '../helpers/browser.js';
import { expectConverges } from '../helpers/converge.js';
import { logCollector, eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { startXvnc, type XvncServer } from '../helpers/xvnc.js';

const USER = 'operator';
const PLAIN_PASSWORD = 'Plain-Secret-42';
const COMPARED = { x: 0, y: 0, width: 600, height: 360 };

/**
 * A VeNCrypt X509Plain console (TLS with a certificate checked against `ca`, then user + password
 * inside it, validated by Xvnc through PAM) in Chromium with stock noVNC: the canvas equals the X
 * screen, keys typed as a person types them (Shift held for capitals and symbols) reach the shell
 * in an xterm, and the Plain password appears neither in what the browser receives nor in the log.
 */
describe('vnc console over VeNCrypt X509Plain in Chromium', () => {
  let x: XvncServer;
  let gw: TestGateway;
  let browser: Browser;
  let dir: string;
  const log = logCollector();
  const marker = `/tmp/bmcgw-e2e-tls-${process.pid}-`;

  beforeAll(async () => {
    const cert = selfSignedCertificate({ commonName: 'xvnc-e2e', names: ['127.0.0.1'] });
    dir = mkdtempSync(join(tmpdir(), 'bmcgw-e2e-tls-'));
    writeFileSync(join(dir, 'ca.pem'), cert.cert);
    [x, browser] = await Promise.all([
      startXvnc({ geometry: '640x400', securityTypes: ['X509Plain'], x509: cert, plainUsers: { [USER]: PLAIN_PASSWORD } }),
      launchChromium(),
    ]);
    x.startXterm(['-geometry', '80x24+0+0', '-e', '/bin/sh']);
    gw = await startTestGateway(
      {
        tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
        servers: [
          {
            id: 'idrac-like',
            name: 'tls-console',
            console: { type: 'vnc', host: '127.0.0.1', port: x.port, user: USER, password: PLAIN_PASSWORD, tls: 'require', ca: join(dir, 'ca.pem') },
          },
        ],
      },
      { log: { level: 'trace', stream: log.stream } },
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await x?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${marker}AZ_ok`, { force: true });
  });

  it('shows the X screen, types into the xterm, and keeps the password out of the browser and the log', async () => {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: 'idrac-like' });
    expect(body.result, JSON.stringify(body)).toBe('OK');
    expect(JSON.stringify(body)).not.toContain(PLAIN_PASSWORD);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const received: Buffer[] = [];
    page.on('websocket', (ws) => ws.on('framereceived', (f) => received.push(typeof f.payload === 'string' ? Buffer.from(f.payload) : Buffer.from(f.payload))));
    const html: string[] = [];
    page.on(
      'response',
      (r) =>
        void r.text().then(
          (t) => html.push(t),
          () => {},
        ),
    );
    await page.goto(body.scope);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    // X draws its pointer into what xwd sees; park it in the corner left out of the comparison.
    const box = (await page.locator('#screen canvas').boundingBox())!;
    const park = () => page.mouse.move(box.x + box.width - 2, box.y + box.height - 2);
    await park();

    await expectConverges(
      () => readCanvasRgb(page, '#screen canvas'),
      () => x.screenshot(),
      "the page's canvas vs Xvnc's screen",
      { region: COMPARED },
    );

    // Keys as a person types them: capitals and '_' with Shift held (keyboard.type presses no Shift).
    await page.click('#screen canvas', { position: { x: 100, y: 100 } });
    await page.keyboard.type(`touch ${marker}`);
    await page.keyboard.press('Shift+KeyA');
    await page.keyboard.press('Shift+KeyZ');
    await page.keyboard.press('Shift+Minus');
    await page.keyboard.type('ok');
    await page.keyboard.press('Enter');
    await expect.poll(() => existsSync(`${marker}AZ_ok`), { timeout: 20_000 }).toBe(true);
    await park();
    await expectConverges(
      () => readCanvasRgb(page, '#screen canvas'),
      () => x.screenshot(),
      'the canvas after typing',
      { region: COMPARED },
    );
    await page.close();

    const secret = Buffer.from(PLAIN_PASSWORD);
    expect(received.length).toBeGreaterThan(0);
    expect(
      received.some((b) => b.includes(secret)),
      'password in a WebSocket frame',
    ).toBe(false);
    expect(
      html.some((t) => t.includes(PLAIN_PASSWORD)),
      'password in a page or script',
    ).toBe(false);
    const all = log.text();
    expect(all).toContain('"rfb-connected"');
    expect(all).toContain('"subtype":262');
    expect(all.includes(PLAIN_PASSWORD), 'password in the log').toBe(false);
  });
});
