import { inflateRawSync } from 'node:zlib';

/**
 * Just enough of the ZIP format (PKWARE APPNOTE.TXT 6.3.x) to read jars: the central directory
 * (§4.3.12), local headers (§4.3.7), stored (0) and deflated (8) entries. Jars come from BMCs and are
 * untrusted: every offset is checked against the buffer, and inflated sizes are bounded by the
 * caller's limit (zip bombs), never by what the header claims. ZIP64 and encryption are refused.
 */
export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  flags: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_ENTRIES = 65_535;

/** The entries listed in the central directory of `zip` (kept by reference; not copied). */
export function zipEntries(zip: Buffer): ZipEntry[] {
  // The end-of-central-directory record is 22 bytes plus a comment of at most 65535 bytes (§4.3.16).
  const floor = Math.max(0, zip.length - 22 - 0xffff);
  let eocd = -1;
  for (let i = zip.length - 22; i >= floor; i--) {
    if (zip.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('no end-of-central-directory record: not a zip/jar file');
  const count = zip.readUInt16LE(eocd + 10);
  const size = zip.readUInt32LE(eocd + 12);
  const offset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || offset === 0xffffffff) throw new ZipError('ZIP64 archives are not supported');
  if (offset + size > eocd) throw new ZipError('the central directory lies outside the file');
  const out: ZipEntry[] = [];
  let p = offset;
  for (let i = 0; i < Math.min(count, MAX_ENTRIES); i++) {
    if (p + 46 > eocd || zip.readUInt32LE(p) !== CENTRAL) throw new ZipError(`central directory entry ${i} is malformed`);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    if (p + 46 + nameLen > eocd) throw new ZipError(`central directory entry ${i} runs past the directory`);
    out.push({
      flags: zip.readUInt16LE(p + 8),
      method: zip.readUInt16LE(p + 10),
      compressedSize: zip.readUInt32LE(p + 20),
      uncompressedSize: zip.readUInt32LE(p + 24),
      localHeaderOffset: zip.readUInt32LE(p + 42),
      name: zip.toString('utf8', p + 46, p + 46 + nameLen),
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** The bytes of one entry, inflated; throws when they would exceed `maxBytes`. */
export function zipRead(zip: Buffer, e: ZipEntry, maxBytes: number): Buffer {
  if (e.flags & 0x1) throw new ZipError(`${e.name} is encrypted`);
  const p = e.localHeaderOffset;
  if (p + 30 > zip.length || zip.readUInt32LE(p) !== LOCAL) throw new ZipError(`${e.name}: local header missing`);
  const start = p + 30 + zip.readUInt16LE(p + 26) + zip.readUInt16LE(p + 28);
  const end = start + e.compressedSize;
  if (end > zip.length) throw new ZipError(`${e.name}: data runs past the end of the file`);
  const data = zip.subarray(start, end);
  if (e.method === 0) {
    if (data.length > maxBytes) throw new ZipError(`${e.name}: ${data.length} bytes exceed ${maxBytes}`);
    return data;
  }
  if (e.method !== 8) throw new ZipError(`${e.name}: compression method ${e.method} is not supported`);
  try {
    return inflateRawSync(data, { maxOutputLength: maxBytes });
  } catch (err) {
    throw new ZipError(`${e.name}: cannot inflate (${(err as Error).message})`);
  }
}

/** `Main-Class` from a jar's META-INF/MANIFEST.MF (JAR File Specification, "Main Attributes"). */
export function jarMainClass(jar: Buffer): string | undefined {
  const entry = zipEntries(jar).find((e) => e.name.toUpperCase() === 'META-INF/MANIFEST.MF');
  if (!entry) return undefined;
  // Manifest lines are at most 72 bytes; a line starting with one space continues the previous one.
  const text = zipRead(jar, entry, 1 << 20)
    .toString('utf8')
    .replace(/\r\n?/g, '\n')
    .replace(/\n /g, '');
  for (const line of text.split('\n')) {
    if (line === '') break; // the main section ends at the first blank line
    const m = /^Main-Class:\s*(\S+)\s*$/i.exec(line);
    if (m) return m[1];
  }
  return undefined;
}
