import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingPeerError } from './require-peer.js';

/**
 * Builds the initramfs the 'busybox' QEMU guest boots: busybox-static, an /init, and /dev/console.
 * Written as a newc cpio archive directly (no `cpio` binary needed) and cached under os.tmpdir(),
 * keyed by busybox's and the kernel's identity and by the /init script, so only the first test on a
 * machine pays for it and a package upgrade rebuilds it.
 */

/** Printed to the serial port by every interactive shell just before it draws its prompt. */
export const SHELL_READY_MARKER = 'BMCGW-SHELL-READY';

export const BUSYBOX_PATH = '/bin/busybox';

// Runs as PID 1. Mounts what busybox applets expect, then keeps a shell on tty1 (the VGA console, so
// what a VNC client types is echoed on the screen it sees) and respawns it if someone types `exit`:
// PID 1 exiting would panic the kernel and, with -no-reboot, stop QEMU.
const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sysfs /sys
/bin/busybox mount -t devtmpfs devtmpfs /dev
/bin/busybox --install -s /bin
export PATH=/bin HOME=/ TERM=linux ENV=/etc/shrc
clear >/dev/tty1
while true; do
  setsid cttyhack sh </dev/tty1 >/dev/tty1 2>&1
done
`;

// ash reads $ENV when it starts interactively, right before its first prompt: the serial marker tells
// the test host "a prompt is about to be on screen" without reading pixels.
const SHRC = `echo ${SHELL_READY_MARKER} >/dev/ttyS0
`;

const FORMAT_VERSION = 1;

export type CpioEntry =
  | { type: 'dir'; path: string; mode: number }
  | { type: 'file'; path: string; mode: number; data: Buffer }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'chardev'; path: string; mode: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

/**
 * Serialises entries as a "newc" (SVR4, no CRC) cpio archive, the format the kernel's initramfs
 * unpacker reads (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte
 * ASCII header "070701" + 13 eight-digit hex fields, the NUL-terminated name padded to a multiple of
 * 4, the data padded to a multiple of 4; the archive ends with an entry named "TRAILER!!!".
 */
export function writeNewc(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const push = (name: string, mode: number, data: Buffer, rdevMajor = 0, rdevMinor = 0, nlink = 1): void => {
    const nameBytes = Buffer.from(`${name}\0`, 'utf8');
    const fields = [ino++, mode, 0, 0, nlink, 0, data.length, 0, 0, rdevMajor, rdevMinor, nameBytes.length, 0];
    const header = Buffer.from(`070701${fields.map((v) => v.toString(16).padStart(8, '0')).join('')}`, 'latin1');
    parts.push(header, nameBytes, Buffer.alloc(pad4(header.length + nameBytes.length)));
    parts.push(data, Buffer.alloc(pad4(data.length)));
  };
  for (const entry of entries) {
    const name = entry.path.replace(/^\/+/, '');
    switch (entry.type) {
      case 'dir':
        push(name, S_IFDIR | entry.mode, Buffer.alloc(0), 0, 0, 2);
        break;
      case 'file':
        push(name, S_IFREG | entry.mode, entry.data);
        break;
      case 'symlink':
        push(name, S_IFLNK | 0o777, Buffer.from(entry.target, 'utf8'));
        break;
      case 'chardev':
        push(name, S_IFCHR | entry.mode, Buffer.alloc(0), entry.major, entry.minor);
        break;
    }
  }
  ino = 0;
  push('TRAILER!!!', 0, Buffer.alloc(0), 0, 0, 1);
  return Buffer.concat(parts);
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

/** Path of the (cached) initramfs for `kernelPath`; builds it on first use. */
export async function busyboxInitramfs(kernelPath: string): Promise<string> {
  let busybox: Awaited<ReturnType<typeof stat>>;
  try {
    busybox = await stat(BUSYBOX_PATH);
  } catch {
    throw missingPeerError(BUSYBOX_PATH, 'busybox-static');
  }
  if (!isStaticElf(BUSYBOX_PATH)) {
    // The dynamically linked busybox from Debian's `busybox` package cannot run in an initramfs
    // that has no libc; busybox-static replaces it at the same path.
    throw missingPeerError(`a statically linked ${BUSYBOX_PATH}`, 'busybox-static');
  }
  const kernel = await stat(kernelPath);
  const key = createHash('sha256')
    .update(JSON.stringify([FORMAT_VERSION, busybox.mtimeMs, busybox.size, kernelPath, kernel.mtimeMs, INIT_SCRIPT, SHRC]))
    .digest('hex')
    .slice(0, 16);
  const target = join(tmpdir(), `bmcgw-busybox-initramfs-${key}.cpio`);
  try {
    await stat(target);
    return target;
  } catch {
    // not cached yet
  }
  const archive = writeNewc([
    { type: 'dir', path: 'bin', mode: 0o755 },
    { type: 'file', path: 'bin/busybox', mode: 0o755, data: await readFile(BUSYBOX_PATH) },
    { type: 'dir', path: 'dev', mode: 0o755 },
    // The kernel opens /dev/console for PID 1's stdio before /init runs (init/main.c
    // console_on_rootfs); without the node /init starts with no stdin/stdout.
    { type: 'chardev', path: 'dev/console', mode: 0o600, major: 5, minor: 1 },
    { type: 'dir', path: 'etc', mode: 0o755 },
    { type: 'file', path: 'etc/shrc', mode: 0o644, data: Buffer.from(SHRC) },
    { type: 'file', path: 'init', mode: 0o755, data: Buffer.from(INIT_SCRIPT) },
    { type: 'dir', path: 'proc', mode: 0o755 },
    { type: 'dir', path: 'sys', mode: 0o755 },
    { type: 'dir', path: 'tmp', mode: 0o1777 },
  ]);
  // Parallel workers may build the same archive at once: write privately, then rename atomically.
  const scratch = `${target}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(scratch, archive);
  await rename(scratch, target);
  return target;
}

/** True for an ELF executable without a PT_INTERP program header (i.e. not dynamically linked). */
export function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) return false; // ELF64 LE
    const phoff = Number(header.readBigUInt64LE(0x20));
    const phentsize = header.readUInt16LE(0x36);
    const phnum = header.readUInt16LE(0x38);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) {
      if (table.readUInt32LE(i * phentsize) === PT_INTERP) return false;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}
