import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTracked, terminate, type TrackedChild } from '../child-processes.js';
import { encodeXwd, type RgbImage } from '../images.js';
import { prng } from '../prng.js';
import { requirePeer } from '../require-peer.js';
import { startXvnc, type XvncServer } from '../xvnc.js';
import { OpenBmcSimulator, type OpenBmcSimulatorOptions, type OpenBmcUser } from './simulator.js';

export const OPENBMC_USERS: Record<'admin' | 'readonly', OpenBmcUser> = {
  admin: { name: 'root', password: 'obmc-root-pw-31', role: 'Administrator' },
  readonly: { name: 'viewer', password: 'obmc-view-pw-47', role: 'ReadOnly' },
};

/** Where the photo-like picture sits on the X screen, and where the xterm to type into is. */
export const PHOTO = { x: 0, y: 0, width: 480, height: 360 };
export const XTERM_AT = { x: 600, y: 450 };

/**
 * An OpenBMC BMC for tests: the simulator (bmcweb's Redfish login, WebSocket checks, 1 KiB limit)
 * with TigerVNC Xvnc behind /kvm/0, forced to Tight JPEG. The X screen shows a photo-like picture
 * (many colours, so Xvnc encodes it as JPEG with libjpeg-turbo) and an xterm to type into.
 */
export interface OpenBmcBmc {
  sim: OpenBmcSimulator;
  xvnc: XvncServer;
  close(): Promise<void>;
}

export async function startOpenBmcBmc(o: Partial<OpenBmcSimulatorOptions> & { geometry?: string } = {}): Promise<OpenBmcBmc> {
  const xwud = requirePeer('xwud', 'x11-apps');
  const xvnc = await startXvnc({ geometry: o.geometry ?? '800x600', desktopName: 'OpenBMC IKVM' });
  const dir = await mkdtemp(join(tmpdir(), 'bmcgw-obmc-'));
  let photo: TrackedChild | undefined;
  try {
    const file = join(dir, 'photo.xwd');
    await writeFile(file, encodeXwd(photoLike(PHOTO.width, PHOTO.height)));
    photo = spawnTracked(xwud, ['-in', file, '-geometry', `+${PHOTO.x}+${PHOTO.y}`, '-display', `:${xvnc.display}`]);
    xvnc.startXterm(['-geometry', `24x6+${XTERM_AT.x}+${XTERM_AT.y}`]);
    // Both windows mapped: the photo's corner pixel is its own, not the black root.
    await xvnc.waitForScreen((s) => s.rgb[0] === 200 && s.rgb[1] === 40);
    const sim = await OpenBmcSimulator.start({ users: Object.values(OPENBMC_USERS), rfbPort: xvnc.port, ...o });
    const p = photo;
    return {
      sim,
      xvnc,
      async close() {
        await sim.close();
        await terminate(p);
        await xvnc.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (photo) await terminate(photo);
    await xvnc.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Smooth gradients, a few hard edges and a little noise: what a camera or a desktop wallpaper gives
 * and what VNC servers send as JPEG. Deterministic. Pixel (0,0) is (200, 40, *), a marker that the
 * picture is on screen.
 */
export function photoLike(width: number, height: number): RgbImage {
  const rand = prng(0x0b3c);
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const n = Math.floor(rand() * 9) - 4;
      const ring = Math.sin(Math.hypot(x - width / 2, y - height / 2) / 9) * 50;
      rgb[o] = clamp(200 - (x * 120) / width + ring / 2 + n);
      rgb[o + 1] = clamp(40 + (y * 180) / height + n);
      rgb[o + 2] = clamp(x > width / 2 ? 60 + ring : 180 + n);
    }
  }
  rgb[0] = 200;
  rgb[1] = 40;
  return { width, height, rgb };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** The gateway's `console` entry for this BMC. */
export function openBmcConsole(sim: OpenBmcSimulator, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'openbmc',
    host: '127.0.0.1',
    port: sim.port,
    user: OPENBMC_USERS.admin.name,
    password: OPENBMC_USERS.admin.password,
    insecureTls: true,
    ...extra,
  };
}

/** Mean absolute difference of two RGB images over a region (every channel counts). */
export function meanAbsErrorIn(a: RgbImage, b: RgbImage, r = { x: 0, y: 0, width: a.width, height: a.height }): number {
  let sum = 0;
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x; x < r.x + r.width; x++) {
      const i = (y * a.width + x) * 3;
      sum += Math.abs(a.rgb[i]! - b.rgb[i]!) + Math.abs(a.rgb[i + 1]! - b.rgb[i + 1]!) + Math.abs(a.rgb[i + 2]! - b.rgb[i + 2]!);
    }
  }
  return sum / (r.width * r.height * 3);
}
