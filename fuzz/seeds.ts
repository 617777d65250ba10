import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFbs } from '../protocols/fbs/index.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { bmcStreamOf } from '../src/sources/aten/capture-stream.js';

/** Real captures beside the repository (`../shared/fixtures`, never copied in) and the project's own recordings. */
export const SHARED_FIXTURES = join(PROJECT_ROOT, '..', 'shared', 'fixtures');
export const RECORDINGS = join(PROJECT_ROOT, 'fixtures', 'recordings');

/** The files of a folder with an extension; none when the folder is missing (a checkout without shared/). */
export function filesIn(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith(ext))
    .sort()
    .map((n) => join(dir, n));
}

/** The RFB bytes of an FBS recording (a server's stream from ProtocolVersion on), at most `max` bytes. */
export function fbsStream(path: string, max = 32 * 1024): Buffer {
  const { blocks } = readFbs(readFileSync(path));
  const out: Buffer[] = [];
  let n = 0;
  for (const b of blocks) {
    out.push(Buffer.from(b.data));
    n += b.data.length;
    if (n >= max) break;
  }
  return Buffer.concat(out).subarray(0, max);
}

export function hexFile(path: string): Buffer {
  return Buffer.from(readFileSync(path, 'utf8').replace(/[^0-9a-fA-F]/g, ''), 'hex');
}

/** What the BMC sent in a captured session (libpcap/pcapng or a raw stream), through the project's capture reader. */
export function bmcStreamOfFile(path: string): Buffer {
  return bmcStreamOf(readFileSync(path)).data;
}
