import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { eqPhp, startTestGateway, TEST_TOKEN, type TestGateway } from '../helpers/gateway.js';
import { SIM_USERS, startIpmiSim, type IpmiSim } from '../helpers/ipmi-sim.js';

// The SOL page (web/sol.html, xterm.js) in Chromium against OpenIPMI ipmi_sim (suite 3). The serial
// port of the simulated host is a TCP socket of the test: it plays a tiny shell that answers lines.

let sim: IpmiSim;
let serial: Socket;
let gw: TestGateway;
let browser: Browser;

async function waitUntil<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The terminal's text as xterm holds it (scrollback included), lines joined by \n. */
function screenText(page: Page): Promise<string> {
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

function pageStats(page: Page): Promise<{ bytesIn: number; bytesOut: number; hashIn: number }> {
  return page.evaluate(() => ({ ...(globalThis as unknown as { sol: { stats: { bytesIn: number; bytesOut: number; hashIn: number } } }).sol.stats }));
}

function fnv1a(bytes: Buffer): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

async function openPage(): Promise<Page> {
  const { body } = await eqPhp(gw, { action: 'sol', token: TEST_TOKEN, id: 'web-7' });
  expect(body.result, JSON.stringify(body)).toBe('OK');
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  await page.goto(body.scope);
  await page.waitForSelector('body[data-state="connected"]', { timeout: 20_000 });
  return page;
}

beforeAll(async () => {
  [sim, browser] = await Promise.all([startIpmiSim(), launchChromium()]);
  serial = await sim.serial();
  gw = await startTestGateway({
    tokens: [{ token: TEST_TOKEN, servers: ['web-7'] }],
    servers: [{ id: 'web-7', name: 'web-7.example', ipmi: { host: '127.0.0.1', port: sim.port, ...SIM_USERS.admin, cipherSuite: 3 } }],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  await sim?.stop();
});

describe('SOL page in Chromium', () => {
  it('types a command and sees the answer', async () => {
    // The "shell": echoes what it gets, answers a line ending in CR.
    let line = '';
    const shell = (d: Buffer) => {
      serial.write(d);
      line += d.toString('latin1');
      if (line.includes('\r')) {
        const cmd = line.slice(0, line.indexOf('\r'));
        line = '';
        serial.write(`\r\nanswer to [${cmd}] from the host\r\n# `);
      }
    };
    serial.on('data', shell);
    try {
      const page = await openPage();
      expect(await page.title()).toBe('web-7.example — serial console');
      expect(new URL(page.url()).pathname).toBe('/sol/'); // the used key is gone from the address bar
      await page.click('#terminal');
      await page.keyboard.type('uname -a');
      await page.keyboard.press('Enter');
      const text = await waitUntil(
        () => screenText(page),
        (t) => t.includes('answer to [uname -a] from the host'),
        15_000,
        'the answer on the page',
      );
      expect(text).toContain('uname -a\nanswer to [uname -a] from the host\n#');
      await page.close();
    } finally {
      serial.off('data', shell);
    }
  }, 60_000);

  it('64 KiB each way through the page: nothing lost or reordered', async () => {
    const page = await openPage();
    // Host → page: random bytes without ESC (0x1b), so no escape sequence can switch the terminal's
    // modes or make it answer queries; every other byte value, UTF-8 fragments included, is there.
    // The page counts and hashes the raw bytes it gets, before xterm sees them.
    const fromHost = Buffer.from([...randomBytes(64 * 1024 + 17)].map((b) => (b === 0x1b ? 0x1a : b)));
    serial.write(fromHost);
    const st = await waitUntil(
      () => pageStats(page),
      (s) => s.bytesIn >= fromHost.length,
      60_000,
      'the bytes at the page',
    );
    expect(st.bytesIn).toBe(fromHost.length);
    expect(st.hashIn).toBe(fnv1a(fromHost));

    // Page → host: a 64 KiB paste of mixed characters (ASCII, Latin-1, Cyrillic, CJK, emoji) goes out
    // as UTF-8 through xterm's own paste path.
    const alphabet = ['a', 'Z', '0', ' ', '~', '|', 'é', 'ß', 'ж', '中', '😀', '\t'];
    let text = '';
    const pick = randomBytes(40_000);
    for (let i = 0; Buffer.byteLength(text) < 64 * 1024; i++) text += alphabet[pick[i % pick.length]! % alphabet.length];
    const expected = Buffer.from(text, 'utf8');
    const got: Buffer[] = [];
    const collect = (d: Buffer) => got.push(d);
    serial.on('data', collect);
    try {
      await page.evaluate((t: string) => (globalThis as unknown as { sol: { term: { paste(s: string): void } } }).sol.term.paste(t), text);
      expect(await page.getAttribute('body', 'data-state')).toBe('connected');
      await waitUntil(
        async () => Buffer.concat(got).length,
        (n) => n >= expected.length,
        90_000,
        'the paste at the serial port',
      ).catch(async (err: Error) => {
        // Say what the page saw: its state, its message and its counters.
        throw new Error(
          `${err.message}; page state ${await page.getAttribute('body', 'data-state')}, message ${JSON.stringify(await page.textContent('#message'))}, stats ${JSON.stringify(await pageStats(page))}`,
        );
      });
      expect(Buffer.concat(got).length).toBe(expected.length);
      expect(Buffer.concat(got).equals(expected)).toBe(true);
    } finally {
      serial.off('data', collect);
    }
    await page.close();
  }, 200_000);

  it('shows why the console ended', async () => {
    const page = await openPage();
    const listed = (await (await fetch(`${gw.url}/api/v1/sol-sessions`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json()) as {
      sessions: { id: string }[];
    };
    const session = listed.sessions[0]!;
    await fetch(`${gw.url}/api/v1/sol-sessions/${session.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    await page.waitForSelector('body[data-state="ended"]', { timeout: 10_000 });
    expect(await page.textContent('#message')).toContain('ended by the API');
    await page.close();
  }, 60_000);
});
