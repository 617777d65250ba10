import { mkdtempSync } from 'node:fs';
import type { ServerOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { atenReplayCommand } from '../../../src/sources/aten/replay-tool.js';
import { readCanvasRgba } from '../../helpers/browser.js';
import { readPngRgbx } from '../../helpers/png.js';
import { selfSignedCertificate } from '../../helpers/aten/self-signed.js';
import { AtenSimulator, type AtenSimulatorOptions } from '../../helpers/aten/simulator.js';
import { AtenSimulatorWeb, type SimulatorWebOptions } from '../../helpers/aten/simulator-web.js';

export const BMC_USER = 'ADMIN';
export const BMC_PASSWORD = 'bmc-web-pw';

export interface AtenBmc {
  kvm: AtenSimulator;
  web: AtenSimulatorWeb;
  close(): Promise<void>;
}

let cert: { key: string; cert: string } | undefined;

/** One simulated Supermicro BMC: ATEN KVM port plus its web interface (HTTPS with a self-signed certificate unless `http`). */
export async function startAtenBmc(
  o: { kvm?: AtenSimulatorOptions; web?: Partial<SimulatorWebOptions>; http?: boolean; tls?: ServerOptions } = {},
): Promise<AtenBmc> {
  cert ??= selfSignedCertificate();
  const kvm = new AtenSimulator(o.kvm);
  await kvm.listen();
  const tls: ServerOptions | undefined = o.http ? undefined : { key: cert.key, cert: cert.cert, ...o.tls };
  const web = new AtenSimulatorWeb(kvm, { username: BMC_USER, password: BMC_PASSWORD, ...(tls ? { tls } : {}), ...o.web });
  await web.listen();
  return {
    kvm,
    web,
    async close() {
      await web.close();
      await kvm.close();
    },
  };
}

/** The `console` config of a server on this simulated BMC. */
export function atenConsole(bmc: AtenBmc, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'aten', host: '127.0.0.1', webPort: bmc.web.port, insecureTls: true, user: BMC_USER, password: BMC_PASSWORD, ...extra };
}

/** Mean absolute difference per colour channel between two RGBX buffers of the same size. */
export function meanAbsError(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Infinity;
  let s = 0;
  for (let i = 0; i < a.length; i += 4) s += Math.abs(a[i]! - b[i]!) + Math.abs(a[i + 1]! - b[i + 1]!) + Math.abs(a[i + 2]! - b[i + 2]!);
  return s / ((a.length / 4) * 3);
}

export function wsUrl(scope: string): string {
  return scope.replace(/^http/, 'ws').replace('/console/', '/ws/');
}

/** Polls `cond` every 25 ms; throws naming `what` after `timeoutMs`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Polls the console page's canvas until it shows `screen()` (mean error under `tolerance`). noVNC
 * draws the framebuffer 1:1 into its canvas's backing store (scaling is CSS only).
 */
export async function waitForCanvasToShow(
  page: Page,
  screen: () => { width: number; height: number; rgbx: Uint8Array },
  tolerance: number,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const canvas = await readCanvasRgba(page, '#screen canvas');
    const s = screen();
    const err = canvas.width === s.width && canvas.height === s.height ? meanAbsError(canvas.rgba, s.rgbx) : Infinity;
    if (err < tolerance) return;
    if (Date.now() > deadline)
      throw new Error(
        `the canvas never showed the simulator's screen: canvas ${canvas.width}x${canvas.height}, screen ${s.width}x${s.height}, mean error ${err.toFixed(2)}`,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** The final picture of a capture as `bmc-gateway aten-replay` writes it (throws unless it exits 0). */
export async function atenReplayFinalPicture(capture: string): Promise<{ width: number; height: number; rgbx: Buffer }> {
  const out = join(mkdtempSync(join(tmpdir(), 'aten-replay-final-')), 'final.png');
  const quiet = { write: () => true };
  const code = await atenReplayCommand([capture, '--out', out], { stdout: quiet, stderr: quiet });
  if (code !== 0) throw new Error(`aten-replay ${capture} exited ${code}`);
  return readPngRgbx(out);
}
