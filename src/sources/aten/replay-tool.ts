import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AtenRectReport, AtenUpdateReport } from '../../../protocols/aten/server-stream.js';
import { ProtocolError } from '../../../protocols/errors.js';
import type { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { encodePng } from '../../util/png.js';
import { readBmcStream, type BmcStream } from './capture-stream.js';
import { parseToolArgs, type ToolIo } from './tool-args.js';
import { replayBmcStream, type ReplayEvent } from './replay-session.js';

/**
 * `bmc-gateway aten-replay FILE --out final.png [--frames DIR] [--speed max|original]` — replays a
 * whole ATEN KVM session from what a field engineer captured (a tcpdump/Wireshark capture, libpcap or
 * pcapng, or the raw server → client bytes): the handshake, every message, and every video update
 * decoded with the session's decoder state, as the `aten` source would have drawn it. Prints one line
 * per update (size, encoding, blocks by kind, errors), writes the final picture and, with --frames,
 * one PNG per update. Exit code: 0 when every update decoded cleanly and nothing was lost, 1 when an
 * update failed, the stream was broken or bytes were missing (the report says where), 2 for usage
 * or I/O errors.
 */
const USAGE =
  'usage: bmc-gateway aten-replay FILE --out final.png [--frames DIR] [--speed max|original] [--mouse-info-bytes 2|3] [--header-byte1 chroma|advance]\n';

export async function atenReplayCommand(argv: string[], io: ToolIo = process): Promise<number> {
  const parsed = parseToolArgs(
    argv,
    'aten-replay',
    USAGE,
    {
      out: { type: 'string' },
      frames: { type: 'string' },
      speed: { type: 'string', default: 'max' },
      'mouse-info-bytes': { type: 'string', default: '2' },
      'header-byte1': { type: 'string', default: 'chroma' },
    },
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const speed = values.speed;
  const mib = values['mouse-info-bytes'];
  const byte1 = values['header-byte1'];
  if (
    positionals.length !== 1 ||
    !values.out ||
    (speed !== 'max' && speed !== 'original') ||
    (mib !== '2' && mib !== '3') ||
    (byte1 !== 'chroma' && byte1 !== 'advance')
  ) {
    io.stderr.write(USAGE);
    return 2;
  }
  const file = positionals[0]!;
  let stream: BmcStream;
  try {
    stream = await readBmcStream(file);
  } catch (e) {
    if (e instanceof ProtocolError) {
      io.stdout.write(`${file}: not a usable capture: ${e.message} [${e.code}]\n`);
      return 1;
    }
    io.stderr.write(`cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  for (const n of stream.notes) io.stdout.write(`${n}\n`);
  if (speed === 'original' && !stream.timed) io.stdout.write('a raw stream has no timing: replaying at max speed\n');
  if (!stream.startsWithBanner && stream.data.length > 0)
    io.stdout.write('the stream does not start with the banner: the capture began mid-session; decoding from the first update found\n');
  if (values.frames) {
    try {
      await mkdir(values.frames, { recursive: true });
    } catch (e) {
      io.stderr.write(`cannot create ${values.frames}: ${(e as Error).message}\n`);
      return 2;
    }
  }

  const totals = new Map<string, number>();
  const count = { clean: 0, failed: 0, resized: 0, noSignal: 0, streamErrors: 0 };
  const onEvent = async (e: ReplayEvent, fb: Framebuffer) => {
    const at = stream.timed ? ` at ${(e.timeUs / 1e6).toFixed(3)} s` : '';
    switch (e.type) {
      case 'server-init': {
        const i = e.serverInit;
        io.stdout.write(
          `handshake: ${i.banner.trim()}, security type 16, ServerInit "${i.name}" ${i.width}x${i.height} (a placeholder), video ${on(i.videoEnabled)}, keyboard/mouse ${on(i.keyboardMouseEnabled)}, kick ${on(i.kickEnabled)}, virtual media ${on(i.virtualMediaEnabled)}\n`,
        );
        return;
      }
      case 'message':
        io.stdout.write(`message${at}: ${describeMessage(e.message)}\n`);
        return;
      case 'hole':
        io.stdout.write(`HOLE${at}: ${e.missingBytes} bytes never captured before stream offset ${e.offset}\n`);
        return;
      case 'resync':
        io.stdout.write(`resynchronised${at}: skipped ${e.skipped} bytes, next update at stream offset ${e.offset}\n`);
        return;
      case 'lost-sync':
        io.stdout.write(`no further update found: ${e.skipped} bytes from stream offset ${e.offset} not decoded\n`);
        return;
      case 'stream-error':
        count.streamErrors++;
        io.stdout.write(`STREAM ERROR${at} at stream offset ${e.offset}: ${e.error.message} [${e.error.code}]\n`);
        return;
      case 'update': {
        const u = e.update;
        count[u.clean ? 'clean' : 'failed']++;
        if (u.resized) count.resized++;
        if (u.noSignal) count.noSignal++;
        for (const r of u.rects) for (const [k, n] of Object.entries(r.ast2100?.blocks ?? {})) totals.set(k, (totals.get(k) ?? 0) + n);
        io.stdout.write(`update ${u.index}${at}: ${describeUpdate(u)}\n`);
        if (values.frames) await writeFile(join(values.frames, `update-${String(u.index).padStart(5, '0')}.png`), encodePng(fb.width, fb.height, fb.data));
        return;
      }
    }
  };
  let result;
  try {
    result = await replayBmcStream(stream, { speed, mouseInfoBodyBytes: mib === '3' ? 3 : 2, headerByte1: byte1 }, onEvent);
  } catch (e) {
    io.stderr.write(`cannot write a frame: ${(e as Error).message}\n`);
    return 2;
  }
  const blocks = [...totals].map(([k, n]) => `${k} ${n}`).join(', ');
  io.stdout.write(
    `${result.updates} updates: ${count.clean} clean, ${count.failed} not clean; ${count.resized} with a new screen size; ${count.noSignal} no-signal${blocks ? `; AST2100 blocks: ${blocks}` : ''}\n`,
  );
  if (result.unfinishedBytes > 0) io.stdout.write(`the capture ends inside a message: its last ${result.unfinishedBytes} bytes were not decoded\n`);
  if (result.updates === 0) {
    io.stdout.write(`no FramebufferUpdate in the stream: nothing to draw, ${values.out} not written\n`);
  } else {
    io.stdout.write(`screen ${result.fb.width}x${result.fb.height}\n`);
    try {
      await writeFile(values.out, encodePng(result.fb.width, result.fb.height, result.fb.data));
    } catch (e) {
      io.stderr.write(`cannot write ${values.out}: ${(e as Error).message}\n`);
      return 2;
    }
    io.stdout.write(`wrote ${values.out}${values.frames ? ` and ${result.updates} frames in ${values.frames}` : ''}\n`);
  }
  return count.failed === 0 && count.streamErrors === 0 && !result.incomplete ? 0 : 1;
}

function on(b: boolean): string {
  return b ? 'on' : 'off';
}

function describeMessage(m: Extract<ReplayEvent, { type: 'message' }>['message']): string {
  switch (m.type) {
    case 'session':
      return `0x39 session a=${m.a} b=${m.b} "${m.text}"`;
    case 'keep-alive':
      return `0x16 keep-alive ${m.value}`;
    case 'bell':
      return '0x02 bell';
    case 'cursor':
      return `0x04 cursor ${m.width}x${m.height} at ${m.x},${m.y} flag ${m.flag}`;
    case 'video-info':
      return `0x33 video info ${m.data.toString('hex')}`;
    case 'keyboard-mouse-status':
      return `0x35 keyboard/mouse status ${m.data.toString('hex')}`;
    case 'mouse-info':
      return `0x37 mouse info ${m.data.toString('hex')}`;
    case 'viewer-lang':
      return `0x3c viewer language ${m.data.toString('hex')}`;
  }
}

function describeUpdate(u: AtenUpdateReport): string {
  const parts = [`${u.bytes} bytes`, `${u.width}x${u.height}${u.resized ? ' (new size)' : ''}`];
  if (u.noSignal) parts.push('no signal (host off or rebooting)');
  if (u.rects.length === 0 && !u.noSignal) parts.push('no rectangles');
  for (const r of u.rects) parts.push(describeRect(r));
  parts.push(u.clean ? 'clean' : 'NOT CLEAN');
  return parts.join(', ');
}

function describeRect(r: AtenRectReport): string {
  const out: string[] = [];
  if (r.ast2100) {
    const a = r.ast2100;
    const h = a.header;
    const counts = Object.entries(a.blocks)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    out.push(
      `AST2100 ${h.selector0}/${h.selector1} ${h.subsampling === 444 ? '4:4:4' : '4:2:0'} ${r.dataBytes} bytes: ${a.totalBlocks} blocks${counts ? ` (${counts})` : ''}`,
    );
    if (a.endOfFrame && !a.endedExactly) out.push(`${a.trailingBits} bits of data after the end-of-frame code`);
  } else if (r.hermon) {
    const m = r.hermon;
    out.push(
      m.subType === 'raw'
        ? `Hermon raw frame ${r.dataBytes} bytes`
        : `Hermon ${m.tiles} tiles${m.tilesClipped ? `, ${m.tilesClipped} cut at the screen edge` : ''}${m.tilesOutside ? `, ${m.tilesOutside} off screen` : ''}`,
    );
    if (r.encoding === 0) out.push('(encoding 0: Hermon on old firmware)');
  } else {
    out.push(`encoding 0x${(r.encoding >>> 0).toString(16)} ${r.dataBytes} bytes`);
  }
  if (r.error) out.push(`ERROR ${r.error.code}: ${r.error.message}`);
  return out.join(' ');
}
