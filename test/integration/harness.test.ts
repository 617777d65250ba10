import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium, readCanvasRgb, readCanvasRgba } from '../helpers/browser.js';
import { writeNewc } from '../helpers/busybox-initramfs.js';
import { assertImagesMatch, compareImages, countColours, describeComparison, isBlank, parsePpm, pixelAt } from '../helpers/images.js';
import { freePort, freeVncDisplay, isPortFree } from '../helpers/ports.js';
import { startQemu } from '../helpers/qemu.js';
import { requirePeer } from '../helpers/require-peer.js';
import { startXvnc } from '../helpers/xvnc.js';

/**
 * Proves the real-peer helpers that other integration and e2e tests build on: each peer starts, is
 * reachable on loopback, shows a screen that is not blank and, where it takes input, reacts to it.
 * A missing peer fails here (requirePeer throws), it is never skipped.
 */

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

/**
 * Just enough RFB to see which security types a server offers (RFC 6143 7.1.1-7.1.2): read the
 * ProtocolVersion, answer 3.8, read the count and the list. Keeps the socket open for `holdMs`.
 */
function offeredSecurityTypes(port: number, whileConnected?: () => Promise<void>): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => socket.destroy(new Error('no RFB handshake within 10 s')), 10_000);
    let received = Buffer.alloc(0);
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!answered && received.length >= 12) {
        if (!/^RFB 003\.00[3-8]\n$/.test(received.toString('latin1', 0, 12))) {
          socket.destroy(new Error(`not an RFB banner: ${JSON.stringify(received.toString('latin1', 0, 12))}`));
          return;
        }
        answered = true;
        socket.write('RFB 003.008\n');
      }
      if (answered && received.length >= 13 && received.length >= 13 + received[12]!) {
        const types = [...received.subarray(13, 13 + received[12]!)];
        void (whileConnected?.() ?? Promise.resolve()).then(
          () => {
            clearTimeout(timer);
            socket.destroy();
            resolve(types);
          },
          (error: unknown) => socket.destroy(error as Error),
        );
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe('require-peer and ports', () => {
  it('names the Debian package of a missing program', () => {
    expect(requirePeer('sh', 'dash')).toMatch(/\/sh$/);
    expect(() => requirePeer('bmcgw-no-such-program', 'bmcgw-pkg')).toThrow(/bmcgw-pkg/);
  });

  it('hands out free loopback ports and VNC displays', async () => {
    const port = await freePort();
    expect(await isPortFree(port)).toBe(true);
    const display = await freeVncDisplay();
    expect(display).toBeGreaterThanOrEqual(50);
    expect(await isPortFree(5900 + display)).toBe(true);
  });
});

describe('image and archive formats', () => {
  it('parses a P6 PPM with a header comment', () => {
    const ppm = Buffer.concat([Buffer.from('P6\n# made by hand\n2 1\n255\n'), Buffer.from([1, 2, 3, 250, 251, 252])]);
    expect(parsePpm(ppm)).toEqual({ width: 2, height: 1, rgb: Buffer.from([1, 2, 3, 250, 251, 252]) });
    expect(() => parsePpm(ppm.subarray(0, ppm.length - 1))).toThrow(/raster/);
  });

  it('writes newc cpio archives that GNU cpio reads back', () => {
    const cpio = requirePeer('cpio', 'cpio');
    const archive = writeNewc([
      { type: 'dir', path: 'bin', mode: 0o755 },
      { type: 'file', path: 'bin/hello', mode: 0o755, data: Buffer.from('#!/bin/sh\necho hi\n') },
      { type: 'symlink', path: 'bin/hi', target: 'hello' },
      { type: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
    ]);
    const listing = execFileSync(cpio, ['-itv', '--quiet'], { input: archive }).toString();
    expect(listing).toMatch(/^drwxr-xr-x .* bin$/m);
    expect(listing).toMatch(/^-rwxr-xr-x .* 18 .* bin\/hello$/m);
    expect(listing).toMatch(/^lrwxrwxrwx .* bin\/hi -> hello$/m);
    expect(listing).toMatch(/^crw------- .* 5,\s+1 .* dev\/console$/m);
    const content = execFileSync(cpio, ['-i', '--quiet', '--to-stdout', 'bin/hello'], { input: archive }).toString();
    expect(content).toBe('#!/bin/sh\necho hi\n');
  });
});

describe('QEMU helper', () => {
  it('boots SeaBIOS behind VNC authentication, survives kill and restart on the same port', async () => {
    const vm = await startQemu({ mode: 'seabios', vncPassword: 'secret12' });
    cleanups.push(() => vm.stop());
    expect(vm.vncPort).toBe(5900 + vm.vncDisplay);
    expect(vm.vncDisplay).toBeGreaterThanOrEqual(50);
    const vnc = await vm.qmp<{ enabled: boolean; auth: string; service: string }>('query-vnc');
    expect(vnc).toMatchObject({ enabled: true, auth: 'vnc', service: String(vm.vncPort) });

    const screen = await vm.waitForReady(20_000);
    expect([screen.width, screen.height]).toEqual([720, 400]);
    expect(countColours(screen)).toBeGreaterThan(1);

    // Only VNC authentication (type 2) is offered, and query-vnc sees the client while connected.
    let countWhileConnected = -1;
    const types = await offeredSecurityTypes(vm.vncPort, async () => {
      countWhileConnected = await vm.connectionCount();
    });
    expect(types).toEqual([2]);
    expect(countWhileConnected).toBe(1);

    const port = vm.vncPort;
    await vm.kill();
    expect(vm.running).toBe(false);
    await expect(offeredSecurityTypes(port)).rejects.toThrow(/ECONNREFUSED/);
    await vm.restart();
    expect(vm.vncPort).toBe(port);
    expect(await offeredSecurityTypes(port)).toEqual([2]);
    await vm.stop();
    expect(vm.running).toBe(false);
  });

  it('boots busybox to a shell on the VGA console that shows text typed with send-key', async () => {
    const vm = await startQemu({ mode: 'busybox' });
    cleanups.push(() => vm.stop());
    expect(await offeredSecurityTypes(vm.vncPort)).toEqual([1]); // no password: security None
    const before = await vm.waitForShell(60_000);
    expect(isBlank(before)).toBe(false);
    // The cursor is hidden, so an idle shell is pixel-stable: a second dump is identical.
    assertImagesMatch(await vm.screendump(), before);

    await vm.sendKeys('echo Typed-OK >/dev/ttyS0\n');
    // The serial log proves the guest ran the command; the screen shows the command line echoed.
    await vm.waitForSerial('Typed-OK', 20_000);
    const after = await vm.waitForStableScreen(10_000);
    const diff = compareImages(before, after);
    expect(diff.differing, describeComparison(diff)).toBeGreaterThan(100);
    await vm.stop();
  });

  it('boots busybox on a 1024x768 VESA framebuffer console', async () => {
    const vm = await startQemu({ mode: 'busybox', screen: '1024x768' });
    cleanups.push(() => vm.stop());
    const screen = await vm.waitForShell(60_000);
    expect([screen.width, screen.height]).toEqual([1024, 768]);
    expect(isBlank(screen)).toBe(false);
    await vm.stop();
  });
});

describe('Xvnc helper', () => {
  it('serves a 1024x768 desktop with VNC authentication, shows an xterm, restarts on the same port', async () => {
    const xvnc = await startXvnc({ password: 'secret12' });
    cleanups.push(() => xvnc.stop());
    expect(await offeredSecurityTypes(xvnc.port)).toEqual([2]);
    const empty = await xvnc.screenshot();
    expect(empty.width).toBe(1024);
    expect(empty.height).toBe(768);

    xvnc.startXterm(['-geometry', '80x24+0+0', '-bg', '#ff8000', '-fg', '#0000c0']);
    const shown = await xvnc.waitForScreen((s) => pixelAt(s, 5, 5).join() === '255,128,0', 15_000);
    expect(isBlank(shown)).toBe(false);
    expect(compareImages(empty, shown).differing).toBeGreaterThan(1000);

    const port = xvnc.port;
    await xvnc.kill();
    await expect(offeredSecurityTypes(port)).rejects.toThrow(/ECONNREFUSED/);
    await xvnc.restart();
    expect(xvnc.port).toBe(port);
    expect(await offeredSecurityTypes(port)).toEqual([2]);
    await xvnc.stop();
    expect(xvnc.running).toBe(false);
  });
});

describe('Chromium helper', () => {
  it('opens a data: URL and reads canvas pixels back exactly', async () => {
    const browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const html = `<canvas width="4" height="2"></canvas><script>
      const c = document.querySelector('canvas').getContext('2d');
      c.fillStyle = 'rgb(10,20,30)'; c.fillRect(0, 0, 4, 2);
      c.fillStyle = 'rgb(200,100,50)'; c.fillRect(3, 1, 1, 1);
    </script>`;
    await page.goto(`data:text/html,${encodeURIComponent(html)}`);
    const rgba = await readCanvasRgba(page);
    expect(rgba.width).toBe(4);
    expect([...rgba.rgba.subarray(0, 4)]).toEqual([10, 20, 30, 255]);
    const rgb = await readCanvasRgb(page);
    expect(pixelAt(rgb, 3, 1)).toEqual([200, 100, 50]);
    const flat = { width: 4, height: 2, rgb: Buffer.from(Array(8).fill([10, 20, 30]).flat()) };
    const diff = compareImages(rgb, flat);
    expect(diff.differing).toBe(1);
    expect(diff.firstMismatch).toMatchObject({ x: 3, y: 1, a: [200, 100, 50], b: [10, 20, 30] });
    await browser.close();
  });
});
