import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, readCanvasRgb } from '../helpers/browser.js';
import { killHard, spawnTracked, terminate, type TrackedChild } from '../helpers/child-processes.js';
import { bundleCli } from '../helpers/cli-process.js';
import { compareImages } from '../helpers/images.js';
import { freePort } from '../helpers/ports.js';

// What a new user gets from `npm ci && npm start`: `bmc-gateway serve` without a config, as an OS
// process in an empty working directory (the CLI bundled from the sources under test, so a stale
// dist/ cannot pass for them). Everything is reached from the one line it prints: the dashboard URL
// and the operator token. The demo BMC (src/demo/) runs inside that process; what it did is read
// back through its serial console, the way a user would see it.

/** The terminal's text as xterm holds it (scrollback included). */
function solText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const term = (
      globalThis as unknown as {
        sol: { term: { buffer: { active: { length: number; getLine(i: number): { translateToString(trim: boolean): string } | undefined } } } };
      }
    ).sol.term;
    const b = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++) lines.push(b.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n');
  });
}

describe('the built-in demo (`npm start` without a config)', () => {
  let proc: TrackedChild;
  let cwd: string;
  let browser: Browser;
  let context: BrowserContext;
  let dashboard: Page;
  let url: string;
  let operatorToken: string;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'bmcgw-demo-cwd-'));
    const [cli, port, b] = await Promise.all([bundleCli(), freePort(), launchChromium()]);
    browser = b;
    proc = spawnTracked(process.execPath, [cli, 'serve', '--listen', `127.0.0.1:${port}`], { cwd });
    const deadline = Date.now() + 30_000;
    let line: RegExpExecArray | null = null;
    while (!(line = /demo dashboard: (\S+)\/dashboard {2}operator token: (\S+)\n/.exec(proc.output()))) {
      if (proc.child.exitCode !== null) throw new Error(`bmc-gateway exited:\n${proc.output()}`);
      if (Date.now() > deadline) throw new Error(`no dashboard line within 30 s:\n${proc.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    [, url, operatorToken] = line as unknown as [string, string, string];
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    dashboard = await context.newPage();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (proc) await terminate(proc).catch(() => killHard(proc));
    if (cwd) await rm(cwd, { recursive: true, force: true });
  });

  const row = () => dashboard.locator('#fleet tr[data-server="demo"]');
  const details = () => dashboard.locator('#fleet tr[data-details="demo"]');
  const confirm = async (mustName: string) => {
    await dashboard.waitForSelector('#confirm[open]');
    expect(await dashboard.textContent('#confirm-text')).toContain(mustName);
    await dashboard.click('#confirm-ok');
  };

  it('prints the dashboard URL and an operator token on one line, which show the demo server with its power state', async () => {
    expect(url).toBe(`http://127.0.0.1:${new URL(url).port}`);
    await dashboard.goto(`${url}/dashboard`);
    await dashboard.fill('#token', operatorToken);
    await dashboard.click('#signin button[type=submit]');
    await dashboard.waitForSelector('body[data-feed="live"]', { timeout: 15_000 });
    expect(await row().locator('td.name').textContent()).toBe('Demo consoledemo');
    expect(await row().locator('td.console-kind').textContent()).toBe('vnc');
    expect(await row().locator('td.access').textContent()).toBe('IPMISOLrecorded');
    await expect.poll(() => row().locator('td.power').textContent(), { timeout: 15_000 }).toBe('on');
  });

  it('power-cycles the demo BMC and sets its boot device after the confirmations; its serial console says so', async () => {
    await row().locator('button.more').click();
    await details().locator('button[data-action="cycle"]').click();
    await confirm('Demo console');
    await expect.poll(() => details().locator('p.result').textContent(), { timeout: 15_000 }).toBe('Power cycle: done');
    await details().locator('select.boot-device').selectOption('pxe');
    await details().locator('button.set-boot').click();
    await confirm('Demo console');
    await expect.poll(() => details().locator('p.result').textContent(), { timeout: 15_000 }).toMatch(/^Boot device: network \(PXE\)/);

    const [sol] = await Promise.all([context.waitForEvent('page'), row().locator('button.open-sol').click()]);
    await sol.waitForSelector('body[data-state="connected"]', { timeout: 30_000 });
    await expect.poll(() => solText(sol), { timeout: 15_000 }).toContain('root@demo:~#');
    await sol.click('#terminal');
    await sol.keyboard.type('echo hello from the dashboard');
    await sol.keyboard.press('Enter');
    await expect.poll(() => solText(sol), { timeout: 15_000 }).toMatch(/echo hello from the dashboard\s*\nhello from the dashboard/);
    await sol.keyboard.type('power');
    await sol.keyboard.press('Enter');
    await expect.poll(() => solText(sol), { timeout: 15_000 }).toContain('chassis power is on; last chassis control through IPMI: power cycle');
    await sol.keyboard.type('bootdev');
    await sol.keyboard.press('Enter');
    // Set System Boot Options, parameter 5 (boot flags): valid, next boot only, PXE (IPMI v2.0 §28.13 table 28-14)
    await expect.poll(() => solText(sol), { timeout: 15_000 }).toContain('boot flags set through IPMI: 0580040000');
    await sol.close();
  }, 90_000);

  it('opens the demo console (typing shows on it), records it, and replays the recording from the dashboard', async () => {
    const [tab] = await Promise.all([context.waitForEvent('page'), row().locator('button.open-console').click()]);
    await tab.waitForSelector('body[data-state="connected"]', { timeout: 30_000 });
    const before = await readCanvasRgb(tab, '#screen canvas');
    await tab.click('#screen canvas');
    await tab.keyboard.type('hello from the browser');
    await expect
      .poll(async () => compareImages(await readCanvasRgb(tab, '#screen canvas'), before, { region: { x: 0, y: 100, width: 1024, height: 668 } }).differing, {
        timeout: 10_000,
      })
      .toBeGreaterThan(100);
    if (await details().isHidden()) await row().locator('button.more').click();
    await details().locator('button.end-session').click();
    await confirm('Demo console');
    await tab.waitForSelector('body[data-state="ended"]', { timeout: 15_000 });
    await tab.close();
    // the details reload the recordings when opened again
    await row().locator('button.more').click();
    await row().locator('button.more').click();
    const link = details().locator('a.replay');
    await expect.poll(() => link.count(), { timeout: 10_000 }).toBe(1);
    const [replay] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await replay.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    expect(await replay.textContent('#title')).toMatch(/^Replay: Demo console, /);
  }, 90_000);

  it('still opens the demo console from /demo', async () => {
    const page = await context.newPage();
    await page.goto(`${url}/demo`);
    await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
    expect(await page.textContent('#title')).toBe('Demo console');
    await page.close();
  }, 60_000);
});
