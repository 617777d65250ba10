import type { Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../helpers/ipmi-sim.js';
import { startQemu, type QemuVm } from '../helpers/qemu.js';

// The operators' dashboard in Chromium over a fleet of three kinds of servers: a console (QEMU's
// VNC server, SeaBIOS, recorded), an IPMI BMC without a console (OpenIPMI ipmi_sim: power, boot
// device, SOL to a socket of the test) and a server with neither. What the BMCs did is read from them.

const OPERATOR = 'operator-token-fleet-e2e';
const PASSWORD = 'fleet-pw';

describe('fleet dashboard (QEMU VNC, ipmi_sim, a server with neither)', () => {
  let vm: QemuVm;
  let sim: IpmiSim;
  let serial: Socket;
  let gw: TestGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let recordings: string;

  beforeAll(async () => {
    recordings = await mkdtemp(join(tmpdir(), 'bmcgw-fleet-'));
    [vm, sim, browser] = await Promise.all([startQemu({ mode: 'seabios', vncPassword: PASSWORD }), startIpmiSim(), launchChromium()]);
    serial = await sim.serial();
    // The "host" behind SOL answers each line.
    let line = '';
    serial.on('data', (d: Buffer) => {
      serial.write(d);
      line += d.toString('latin1');
      if (line.includes('\r')) {
        serial.write(`\r\nhost saw [${line.slice(0, line.indexOf('\r'))}]\r\n`);
        line = '';
      }
    });
    gw = await startTestGateway({
      tokens: [{ token: TEST_TOKEN, servers: ['*'] }],
      operators: [{ token: OPERATOR, name: 'night-shift' }],
      servers: [
        { id: 'qemu-1', name: 'Web front 1', location: 'NL', console: { type: 'vnc', host: '127.0.0.1', port: vm.vncPort, password: PASSWORD } },
        { id: 'ipmi-1', name: 'Storage 7', location: 'DE', ipmi: { host: '127.0.0.1', port: sim.port, ...SIM_USERS.admin, cipherSuite: 3 } },
        { id: 'bare-1', name: 'Spare box', location: 'DE' },
      ],
      recording: { dir: recordings, servers: ['qemu-1'] },
    });
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    await page.goto(`${gw.url}/dashboard`);
    await page.fill('#token', OPERATOR);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector('body[data-feed="live"]', { timeout: 15_000 });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await Promise.all([vm?.stop(), sim?.stop()]);
    if (recordings) await rm(recordings, { recursive: true, force: true });
  });

  const row = (id: string) => page.locator(`#fleet tr[data-server="${id}"]`);
  const details = (id: string) => page.locator(`#fleet tr[data-details="${id}"]`);
  const visibleIds = () =>
    page
      .locator('#fleet tbody tr[data-server]:visible')
      .evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: { server: string } }).dataset.server));
  const confirmWith = async (button: 'ok' | 'cancel', mustName: string) => {
    await page.waitForSelector('#confirm[open]');
    expect(await page.textContent('#confirm-text')).toContain(mustName);
    await page.click(`#confirm-${button}`);
  };

  it('lists every configured server by name with what it has, and its power state read in the background', async () => {
    expect(await visibleIds()).toEqual(['qemu-1', 'ipmi-1', 'bare-1']);
    expect(await row('qemu-1').locator('td.name').textContent()).toBe('Web front 1qemu-1');
    expect(await row('qemu-1').locator('td.console-kind').textContent()).toBe('vnc');
    expect(await row('ipmi-1').locator('td.console-kind').textContent()).toBe('none');
    expect(await row('ipmi-1').locator('td.access').textContent()).toBe('IPMISOL');
    expect(await row('qemu-1').locator('td.access').textContent()).toBe('recorded');
    expect(await row('bare-1').locator('td.actions button').allTextContents()).toEqual(['More…']);
    await expect.poll(() => row('ipmi-1').locator('td.power').textContent(), { timeout: 15_000 }).toBe('off');
    expect(await row('qemu-1').locator('td.power').textContent()).toBe('—');
  });

  it('filters by text, location and state', async () => {
    await page.fill('#search', 'storage');
    expect(await visibleIds()).toEqual(['ipmi-1']);
    await page.fill('#search', '');
    await page.selectOption('#location', 'DE');
    expect(await visibleIds()).toEqual(['ipmi-1', 'bare-1']);
    await page.selectOption('#state', 'off');
    expect(await visibleIds()).toEqual(['ipmi-1']);
    await page.selectOption('#location', '*');
    await page.selectOption('#state', 'no-power');
    expect(await visibleIds()).toEqual(['qemu-1', 'bare-1']);
    expect(await page.textContent('#summary')).toContain('2 of 3 servers shown');
    await page.selectOption('#state', 'all');
  });

  it('opens a console in a new tab; the row shows the live session, its thumbnail and viewer without a reload', async () => {
    const [tab] = await Promise.all([context.waitForEvent('page'), row('qemu-1').locator('button.open-console').click()]);
    await tab.waitForSelector('body[data-state="connected"]', { timeout: 30_000 });
    expect(await tab.title()).toContain('—'); // the BMC's desktop name
    const img = row('qemu-1').locator('img.thumb');
    type Img = { complete: boolean; naturalWidth: number };
    await expect
      .poll(() => img.evaluate((e) => ((e as unknown as Img).complete ? (e as unknown as Img).naturalWidth : 0)), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => row('qemu-1').locator('.viewers').textContent(), { timeout: 10_000 }).toBe('1 viewer');
    await expect.poll(() => page.textContent('#activity'), { timeout: 10_000 }).toContain('night-shift: opened the console on Web front 1');
    // a view-only viewer joins
    const [viewer] = await Promise.all([context.waitForEvent('page'), row('qemu-1').locator('button.open-view-only').click()]);
    await viewer.waitForSelector('#viewonly:not([hidden])', { timeout: 30_000 });
    await expect.poll(() => row('qemu-1').locator('.viewers').textContent(), { timeout: 10_000 }).toBe('2 viewers (1 view-only)');
    await viewer.close();
  }, 90_000);

  it('opens the serial console of the IPMI server; the row shows it', async () => {
    const [tab] = await Promise.all([context.waitForEvent('page'), row('ipmi-1').locator('button.open-sol').click()]);
    await tab.waitForSelector('body[data-state="connected"]', { timeout: 30_000 });
    expect(await tab.title()).toBe('Storage 7 — serial console');
    await tab.click('#terminal');
    await tab.keyboard.type('uptime');
    await tab.keyboard.press('Enter');
    await expect
      .poll(() => tab.evaluate(() => (globalThis as unknown as { sol: { stats: { bytesIn: number } } }).sol.stats.bytesIn), { timeout: 15_000 })
      .toBeGreaterThan(20);
    await expect.poll(() => row('ipmi-1').locator('.sol-session').textContent(), { timeout: 10_000 }).toBe('Serial console open: active, 1 viewer');
    await row('ipmi-1').locator('button.more').click();
    await details('ipmi-1').locator('button.end-sol').click();
    await confirmWith('ok', 'Storage 7');
    await tab.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
    expect(await tab.textContent('#message')).toContain('ended by the API (night-shift)');
    await expect.poll(() => row('ipmi-1').locator('.sol-session').count(), { timeout: 10_000 }).toBe(0);
    await tab.close();
  }, 90_000);

  it('powers the IPMI server on only after the confirmation naming it, reads the new state, and sets the boot device', async () => {
    const d = details('ipmi-1');
    if (await d.isHidden()) await row('ipmi-1').locator('button.more').click();
    await d.locator('button[data-action="on"]').click();
    await confirmWith('cancel', 'Power on Storage 7?');
    expect(await sim.powerState()).toBe('0');
    await d.locator('button[data-action="on"]').click();
    await confirmWith('ok', 'Power on Storage 7?');
    await expect.poll(() => sim.powerState(), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => d.locator('p.result').textContent(), { timeout: 15_000 }).toBe('Power on: done');
    // re-read after the action, through the feed
    await expect.poll(() => row('ipmi-1').locator('td.power').textContent(), { timeout: 15_000 }).toBe('on');
    await d.locator('select.boot-device').selectOption('pxe');
    await d.locator('input.boot-persistent').check();
    await d.locator('button.set-boot').click();
    await confirmWith('ok', 'Boot Storage 7 from network (PXE) (every boot)?');
    await expect.poll(() => sim.bootState(), { timeout: 15_000 }).toBe('pxe');
    // The BMC has the new boot device before the gateway's answer reaches the page (CI once read the
    // previous action's result here), so the page's line and the activity feed are waited for too.
    await expect.poll(() => d.locator('p.result').textContent(), { timeout: 15_000 }).toBe('Boot device: network (PXE) (every boot)');
    await expect.poll(() => page.textContent('#activity'), { timeout: 10_000 }).toContain('night-shift: power Power on on Storage 7');
    await expect.poll(() => page.textContent('#activity'), { timeout: 10_000 }).toContain('night-shift: boot device network (PXE) (every boot) on Storage 7');
  }, 60_000);

  it("ends the console session, and replays its recording from the server's list", async () => {
    const console = context.pages().find((p) => p.url().includes('/console/'))!;
    expect(console).toBeDefined();
    await row('qemu-1').locator('button.more').click();
    await details('qemu-1').locator('button.end-session').click();
    await confirmWith('ok', 'End the console session of Web front 1?');
    await console.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
    expect(await console.textContent('#message')).toContain('ended by the API (night-shift)');
    await expect.poll(() => row('qemu-1').locator('img.thumb').count(), { timeout: 10_000 }).toBe(0);
    // the details reload the recordings when opened again
    await row('qemu-1').locator('button.more').click();
    await row('qemu-1').locator('button.more').click();
    const link = details('qemu-1').locator('a.replay');
    await expect.poll(() => link.count(), { timeout: 10_000 }).toBe(1);
    const [replay] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await replay.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    expect(await replay.textContent('#title')).toMatch(/^Replay: Web front 1, /);
    await replay.close();
  }, 60_000);

  it('speaks Russian to a Russian browser: dashboard, console and serial console pages, their end reasons', async () => {
    const ru = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1400, height: 900 } });
    try {
      const p = await ru.newPage();
      await p.goto(`${gw.url}/dashboard`);
      expect(await p.textContent('#signin button[type=submit]')).toBe('Войти');
      expect(await p.getAttribute('html', 'lang')).toBe('ru');
      await p.fill('#token', OPERATOR);
      await p.click('#signin button[type=submit]');
      await p.waitForSelector('body[data-feed="live"]', { timeout: 15_000 });
      expect(await p.locator('#fleet thead th').allTextContents()).toEqual([
        'Сервер',
        'Площадка',
        'Консоль',
        'Доступ',
        'Питание',
        'Открытый сеанс',
        'Действия',
      ]);
      expect(await p.locator('#fleet tr[data-server="ipmi-1"] td.console-kind').textContent()).toBe('нет');
      await expect.poll(() => p.locator('#fleet tr[data-server="ipmi-1"] td.power').textContent(), { timeout: 15_000 }).toBe('вкл.');
      const [tab] = await Promise.all([ru.waitForEvent('page'), p.locator('#fleet tr[data-server="qemu-1"] button.open-console').click()]);
      await tab.waitForSelector('body[data-state="connected"]', { timeout: 30_000 });
      expect(await tab.textContent('#status')).toBe('Подключено');
      expect(await tab.textContent('#paste')).toBe('Вставить текст…');
      await p.locator('#fleet tr[data-server="qemu-1"] button.more').click();
      await p.locator('#fleet tr[data-details="qemu-1"] button.end-session').click();
      await p.waitForSelector('#confirm[open]');
      expect(await p.textContent('#confirm-text')).toBe('Завершить сеанс консоли Web front 1? Все зрители будут отключены.');
      await p.click('#confirm-ok');
      await tab.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
      expect(await tab.textContent('#message')).toBe('Консоль закрыта: сеанс завершён через API');
      // …and the serial console page
      const [sol] = await Promise.all([ru.waitForEvent('page'), p.locator('#fleet tr[data-server="ipmi-1"] button.open-sol').click()]);
      await sol.waitForSelector('body[data-state="connected"]', { timeout: 30_000 });
      expect(await sol.textContent('#status')).toBe('Подключено');
      expect(await sol.textContent('#break')).toBe('Отправить BREAK');
      expect(await sol.title()).toBe('Storage 7 — последовательная консоль');
      await p.locator('#fleet tr[data-server="ipmi-1"] button.more').click();
      await p.locator('#fleet tr[data-details="ipmi-1"] button.end-sol').click();
      await p.waitForSelector('#confirm[open]');
      await p.click('#confirm-ok');
      await sol.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
      expect(await sol.textContent('#message')).toBe('Последовательная консоль закрыта: сеанс завершён через API');
    } finally {
      await ru.close();
    }
  }, 90_000);
});
