import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { busyboxInitramfs, SHELL_READY_MARKER } from './busybox-initramfs.js';
import { isRunning, killHard, spawnTracked, terminate, type TrackedChild } from './child-processes.js';
import { compareImages, isBlank, parsePpm, saveForDebugging, type RgbImage } from './images.js';
import { freeVncDisplay, VNC_BASE_PORT } from './ports.js';
import { QmpClient } from './qmp.js';
import { qcodesForChar } from './qemu-keys.js';
import { missingPeerError, requirePeer } from './require-peer.js';

/**
 * QEMU as a stand-in VNC BMC: its built-in VNC server (ui/vnc.c) on 127.0.0.1, optionally with VNC
 * authentication, showing either SeaBIOS ('seabios': "No bootable device.", a blinking cursor, no
 * input handling) or a Linux kernel with a busybox shell on the VGA console ('busybox': types what
 * it is sent; cursor hidden so an idle screen is pixel-stable). TCG only: there is no KVM here.
 *
 * To check that keys typed over VNC reached the guest, type `echo SOMETHING >/dev/ttyS0` and Return
 * into the busybox shell and `waitForSerial('SOMETHING')`: the serial port is a channel the VNC
 * client does not see, so the check cannot be fooled by the client drawing its own echo.
 */

export type QemuMode = 'seabios' | 'busybox';

export interface QemuOptions {
  mode: QemuMode;
  /** Enables VNC authentication (RFB security type 2). Only the first 8 characters count (RFB 7.2.2). */
  vncPassword?: string;
  /**
   * 'busybox' only. 'text' (default): VGA text mode, 720x400. '1024x768': the kernel switches to a
   * VESA framebuffer (vga=0x318, 1024x768 at 24 bpp; vesafb and fbcon are built into Debian's kernel),
   * so the VNC client sees a resize from 720x400 to 1024x768 during boot and a larger graphic screen.
   */
  screen?: 'text' | '1024x768';
  memoryMb?: number;
  /** Appended to the QEMU command line. */
  extraArgs?: readonly string[];
}

const QEMU_BINARY = 'qemu-system-x86_64';
const START_TIMEOUT_MS = 15_000;

// Kernel command line for 'busybox':
// - console=tty1: kernel output and /dev/console on the VGA text console, the screen VNC shows;
// - loglevel=1 quiet: only emergencies reach that screen, so late kernel warnings (clocksource
//   watchdog under a slow TCG host) cannot scribble over a screen a test compares;
// - vt.global_cursor_default=0: no cursor on the text console. VGA hardware blinks the cursor, and a
//   blinking cursor makes two screendumps of an idle screen differ;
// - nokaslr: silences the "Physical KASLR disabled" notices the decompressor prints under TCG;
// - panic=-1 with -no-reboot: if the guest dies, QEMU exits instead of looping.
const KERNEL_CMDLINE = 'console=tty1 loglevel=1 quiet vt.global_cursor_default=0 nokaslr panic=-1';

/** The newest /boot/vmlinuz-*; throws naming linux-image-amd64 when there is none. */
export function findKernel(): string {
  let names: string[] = [];
  try {
    names = readdirSync('/boot').filter((n) => n.startsWith('vmlinuz-'));
  } catch {
    // no /boot at all: same remedy
  }
  const newest = names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
  if (newest === undefined) throw missingPeerError('a kernel at /boot/vmlinuz-*', 'linux-image-amd64');
  return join('/boot', newest);
}

export async function startQemu(options: QemuOptions): Promise<QemuVm> {
  const qemu = requirePeer(QEMU_BINARY, 'qemu-system-x86');
  if (options.mode !== 'busybox' && options.screen !== undefined) {
    throw new Error(`startQemu: 'screen' needs mode 'busybox' (SeaBIOS picks its own VGA mode)`);
  }
  let boot: string[] = [];
  if (options.mode === 'busybox') {
    const kernel = findKernel();
    const initrd = await busyboxInitramfs(kernel);
    const cmdline = options.screen === '1024x768' ? `${KERNEL_CMDLINE} vga=0x318` : KERNEL_CMDLINE;
    boot = ['-kernel', kernel, '-initrd', initrd, '-append', cmdline];
  }
  const dir = await mkdtemp(join(tmpdir(), 'bmcgw-qemu-'));
  const vm = new QemuVm(qemu, options, dir, boot);
  try {
    await vm.startFresh();
  } catch (error) {
    await vm.stop();
    throw error;
  }
  return vm;
}

export class QemuVm {
  readonly mode: QemuMode;
  readonly vncPassword: string | undefined;
  /** Temp dir holding the QMP socket, the serial log and screendumps; removed by stop(). */
  readonly dir: string;
  #display = -1;
  #qemuPath: string;
  #options: QemuOptions;
  #boot: string[];
  #proc: TrackedChild | undefined;
  #qmp: QmpClient | undefined;
  #dumps = 0;
  #stopped = false;

  constructor(qemuPath: string, options: QemuOptions, dir: string, boot: string[]) {
    this.#qemuPath = qemuPath;
    this.#options = options;
    this.mode = options.mode;
    this.vncPassword = options.vncPassword;
    this.dir = dir;
    this.#boot = boot;
  }

  /** The VNC display number N (QEMU listens on 5900+N); fixed for the life of this object. */
  get vncDisplay(): number {
    return this.#display;
  }

  get vncPort(): number {
    return VNC_BASE_PORT + this.#display;
  }

  get running(): boolean {
    return this.#proc !== undefined && isRunning(this.#proc);
  }

  get #serialPath(): string {
    return join(this.dir, 'serial.log');
  }

  /** First start: picks a free display, and tries another if a parallel process took it meanwhile. */
  async startFresh(): Promise<void> {
    const tried = new Set<number>();
    for (let attempt = 0; ; attempt++) {
      this.#display = await freeVncDisplay(tried);
      tried.add(this.#display);
      try {
        await this.#launch();
        return;
      } catch (error) {
        if (!(error instanceof PortInUseError) || attempt >= 4) throw error;
      }
    }
  }

  /** Runs a QMP command, e.g. `qmp('query-vnc')`. */
  qmp<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.#qmp === undefined || !this.running) return Promise.reject(new Error(`QMP ${command}: QEMU is not running`));
    return this.#qmp.execute<T>(command, args);
  }

  /** The guest screen as QEMU renders it (QMP `screendump`, a PPM). 720x400 in VGA text mode. */
  async screendump(): Promise<RgbImage> {
    const file = join(this.dir, `screen-${this.#dumps++}.ppm`);
    await this.qmp('screendump', { filename: file });
    try {
      return parsePpm(await readFile(file));
    } finally {
      await unlink(file).catch(() => {});
    }
  }

  /** Polls screendump until `predicate` holds; returns that screen. Throws after `timeoutMs`. */
  async waitForScreen(predicate: (screen: RgbImage) => boolean, timeoutMs = 30_000, intervalMs = 200): Promise<RgbImage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screendump();
      if (predicate(screen)) return screen;
      if (Date.now() >= deadline) {
        const saved = saveForDebugging(screen, 'qemu');
        throw new Error(`QEMU screen did not reach the expected state within ${timeoutMs} ms (last screen: ${saved})`);
      }
      await sleep(intervalMs);
    }
  }

  /** Waits until two screendumps `intervalMs` apart are identical; returns the settled screen. */
  async waitForStableScreen(timeoutMs = 30_000, intervalMs = 300): Promise<RgbImage> {
    let previous: RgbImage | undefined;
    return this.waitForScreen(
      (screen) => {
        const same = previous !== undefined && compareImages(previous, screen).differing === 0;
        previous = screen;
        return same;
      },
      timeoutMs,
      intervalMs,
    );
  }

  /** Everything the guest wrote to its serial port ('busybox' only; empty for 'seabios'). */
  async serialOutput(): Promise<string> {
    return readFile(this.#serialPath, 'utf8').catch(() => '');
  }

  /** Polls the serial log until it contains `match`; returns the whole log. */
  async waitForSerial(match: string | RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.serialOutput();
      if (typeof match === 'string' ? text.includes(match) : match.test(text)) return text;
      if (!this.running) throw new Error(`QEMU exited while waiting for ${String(match)} on serial:\n${this.#proc?.output() ?? ''}`);
      if (Date.now() >= deadline) throw new Error(`serial output lacks ${String(match)} after ${timeoutMs} ms:\n${text}`);
      await sleep(100);
    }
  }

  /**
   * Waits until the guest shows its settled screen and returns it: for 'seabios', SeaBIOS's 720x400
   * text screen (the VGA BIOS passes through a blank 640x480 mode first; the cursor keeps blinking,
   * so consecutive dumps of this screen can differ); for 'busybox', waitForShell().
   */
  async waitForReady(timeoutMs = 60_000): Promise<RgbImage> {
    if (this.mode === 'busybox') return this.waitForShell(timeoutMs);
    return this.waitForScreen((s) => s.width === 720 && s.height === 400 && !isBlank(s), timeoutMs);
  }

  /**
   * 'busybox' only: waits until the shell on tty1 has started and its prompt is on a settled screen;
   * returns that screen. Takes ~5-15 s under TCG after a (re)start.
   */
  async waitForShell(timeoutMs = 150_000): Promise<RgbImage> {
    if (this.mode !== 'busybox') throw new Error(`waitForShell needs mode 'busybox', not '${this.mode}'`);
    const deadline = Date.now() + timeoutMs;
    await this.waitForSerial(SHELL_READY_MARKER, timeoutMs);
    return this.waitForStableScreen(Math.max(1000, deadline - Date.now()));
  }

  /**
   * Types `text` on the guest's PS/2 keyboard through QMP `send-key` (US layout; '\n' is Return).
   * QEMU queues the presses in order, each held `holdTimeMs`; this resolves once they are queued, not
   * once the guest has read them.
   */
  async sendKeys(text: string, holdTimeMs = 20): Promise<void> {
    for (const char of text) {
      const keys = qcodesForChar(char).map((data) => ({ type: 'qcode', data }));
      await this.qmp('send-key', { keys, 'hold-time': holdTimeMs });
    }
  }

  /** Number of VNC clients connected right now (QMP `query-vnc`). */
  async connectionCount(): Promise<number> {
    const info = await this.qmp<{ clients?: unknown[] }>('query-vnc');
    return info.clients?.length ?? 0;
  }

  /** SIGKILLs QEMU, as a crashed or power-cycled BMC looks to its clients. restart() brings it back. */
  async kill(): Promise<void> {
    this.#qmp?.close();
    this.#qmp = undefined;
    if (this.#proc !== undefined) await killHard(this.#proc);
  }

  /** Kills QEMU if it runs, then starts it again on the same VNC port with the same password. */
  async restart(): Promise<void> {
    if (this.#stopped) throw new Error('QemuVm.restart after stop()');
    await this.kill();
    await unlink(this.#serialPath).catch(() => {});
    // The old listening socket is closed by the kernel when QEMU dies; QEMU sets SO_REUSEADDR, so
    // only a straggling process can hold the port. Retry briefly rather than fail on a race.
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await this.#launch();
        return;
      } catch (error) {
        if (!(error instanceof PortInUseError) || Date.now() >= deadline) throw error;
        await sleep(200);
      }
    }
  }

  /** Stops QEMU and removes the temp dir. Safe to call more than once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#qmp !== undefined && this.running) {
      // A clean quit first: QEMU then closes VNC clients with a FIN rather than a reset.
      await this.#qmp.execute('quit', undefined, 2000).catch(() => {});
    }
    this.#qmp?.close();
    this.#qmp = undefined;
    if (this.#proc !== undefined) await terminate(this.#proc);
    await rm(this.dir, { recursive: true, force: true });
  }

  async #launch(): Promise<void> {
    const qmpPath = join(this.dir, 'qmp.sock');
    await unlink(qmpPath).catch(() => {});
    const vnc = `127.0.0.1:${this.#display}${this.vncPassword !== undefined ? ',password=on' : ''}`;
    const serial = this.mode === 'busybox' ? ['-serial', `file:${this.#serialPath}`] : [];
    const args = [
      '-nodefaults',
      '-no-user-config',
      '-machine',
      'pc,accel=tcg',
      '-m',
      String(this.#options.memoryMb ?? 128),
      '-smp',
      '1',
      '-vga',
      'std',
      '-display',
      'none',
      '-vnc',
      vnc,
      '-qmp',
      `unix:${qmpPath},server=on,wait=off`,
      '-no-reboot',
      ...serial,
      ...this.#boot,
      ...(this.#options.extraArgs ?? []),
    ];
    const proc = spawnTracked(this.#qemuPath, args);
    this.#proc = proc;
    try {
      this.#qmp = await QmpClient.connect(qmpPath, START_TIMEOUT_MS, () => isRunning(proc));
      if (this.vncPassword !== undefined) {
        // QEMU 7.2 accepts both `set_password` and the older `change-vnc-password`; set_password is
        // the one that also covers SPICE and is not deprecated.
        await this.#qmp.execute('set_password', { protocol: 'vnc', password: this.vncPassword });
      }
    } catch (error) {
      await killHard(proc);
      const output = proc.output();
      if (/Address already in use|Failed to find an available port/.test(output)) {
        throw new PortInUseError(`VNC display :${this.#display} is taken: ${output.trim()}`);
      }
      throw new Error(`QEMU did not start (${String(error)}): ${args.join(' ')}\n${output}`);
    }
  }
}

class PortInUseError extends Error {}
