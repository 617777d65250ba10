/**
 * The gateway's per-update work without sockets or timers, for counting instructions (valgrind
 * --tool=callgrind), which unlike wall-clock or CPU time is stable on a shared, noisy machine:
 *
 *   node dist/bench/encode-work.js [--viewers V] [--loops L] [--verify] [RECORDING.fbs]
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out node dist/bench/encode-work.js --viewers 50
 *
 * It decodes a recording (the xterm one by default) into a shadow framebuffer, as the vnc source
 * does, adds each rectangle to every viewer's damage, as the Session does, and at each update's end
 * builds the FramebufferUpdate of every viewer that "asked" (src/viewer/update-builder.ts, the
 * gateway's own code): viewer v asks every (1 + v % 3)th update, so viewers are at different points,
 * as real ones with different round trips are. With --verify each viewer's stream is decoded again
 * by our RFB decoder and its final screen compared with the shadow framebuffer (not part of the
 * figure; leave it off under valgrind).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFbs } from '../protocols/fbs/index.js';
import { ClientHandshake } from '../protocols/rfb/client-handshake.js';
import { Encoding, RGBX_PIXEL_FORMAT } from '../protocols/rfb/constants.js';
import { createDecoders } from '../protocols/rfb/encodings/index.js';
import { Framebuffer } from '../protocols/rfb/framebuffer.js';
import { ServerMessageReader } from '../protocols/rfb/server-message-reader.js';
import { Damage } from '../src/session/damage.js';
import { EncodeCache } from '../src/viewer/encode-cache.js';
import { buildUpdate, chooseEncoder } from '../src/viewer/update-builder.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface EncodeWorkResult {
  updatesIn: number;
  updatesOut: number;
  bytesOut: number;
  /** With verify: viewers whose decoded screen differs from the shadow framebuffer (should be 0). */
  mismatched: number;
}

export function encodeWork(o: { path: string; viewers: number; loops: number; verify: boolean; share: boolean }): EncodeWorkResult {
  const { blocks, error } = readFbs(readFileSync(o.path));
  if (error) throw error;
  const caps = { encodings: new Set([Encoding.Tight, Encoding.CopyRect, Encoding.Raw, Encoding.DesktopSize, Encoding.Cursor, Encoding.LastRect]) };
  const encoder = chooseEncoder(caps, RGBX_PIXEL_FORMAT, [...caps.encodings]);
  const hs = new ClientHandshake({ shared: true, maxVersion: '3.3' });
  let fb: Framebuffer | undefined;
  let reader: ServerMessageReader | undefined;
  const viewers: { damage: Damage; period: number; check?: { fb: Framebuffer; reader: ServerMessageReader } }[] = [];
  const cache = new EncodeCache();
  const result: EncodeWorkResult = { updatesIn: 0, updatesOut: 0, bytesOut: 0, mismatched: 0 };
  const frame = (v: (typeof viewers)[number]): void => {
    const update = buildUpdate({
      fb: fb!,
      damage: v.damage,
      caps,
      pf: RGBX_PIXEL_FORMAT,
      encoder,
      resize: false,
      cursor: undefined,
      ...(o.share ? { cache } : {}),
    });
    if (!update) return;
    result.updatesOut++;
    result.bytesOut += update.length;
    v.check?.reader.push(update);
  };
  for (let loop = 0; loop < o.loops; loop++) {
    for (const [i, b] of blocks.entries()) {
      let data: Buffer | undefined = b.data;
      if (!reader) {
        const step = hs.receive(data);
        if (!step.serverInit) continue;
        fb = new Framebuffer(step.serverInit.width, step.serverInit.height);
        reader = new ServerMessageReader({ fb, decoders: createDecoders() });
        for (let v = 0; v < o.viewers; v++) {
          const damage = new Damage(fb.width, fb.height);
          damage.addAll();
          const check = o.verify
            ? (() => {
                const vfb = new Framebuffer(fb.width, fb.height);
                return { fb: vfb, reader: new ServerMessageReader({ fb: vfb, decoders: createDecoders() }) };
              })()
            : undefined;
          viewers.push({ damage, period: 1 + (v % 3), ...(check ? { check } : {}) });
        }
        data = step.rest;
        if (!data?.length) continue;
      } else if (loop > 0 && i === 0) continue; // later loops skip the handshake block
      for (const m of reader.push(data)) {
        if (m.type === 'rect') {
          cache.invalidate();
          for (const v of viewers) {
            if (m.encoding === Encoding.CopyRect && m.srcX !== undefined && m.srcY !== undefined) v.damage.copy(m.srcX, m.srcY, m);
            else v.damage.add(m);
          }
        } else if (m.type === 'update-end') {
          result.updatesIn++;
          for (const v of viewers) if (result.updatesIn % v.period === 0) frame(v);
        }
      }
    }
  }
  for (const v of viewers) frame(v); // everyone asks once more at the end: all show the last screen
  if (o.verify) for (const v of viewers) if (!v.check!.fb.data.equals(fb!.data)) result.mismatched++;
  return result;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const opt = (name: string, def: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const path =
    args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--viewers') && !args[i - 1]?.startsWith('--loops')) ??
    join(ROOT, 'fixtures/recordings/tigervnc-xterm-scroll.fbs');
  const r = encodeWork({ path, viewers: opt('viewers', 1), loops: opt('loops', 3), verify: args.includes('--verify'), share: !args.includes('--no-share') });
  process.stdout.write(`${JSON.stringify(r)}\n`);
  if (r.mismatched > 0) process.exitCode = 1;
}
