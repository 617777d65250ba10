/**
 * A ustar writer (POSIX.1-1988 "ustar Interchange Format", pax(1)) for files we name ourselves: how
 * the gateway hands a Java sandbox container its session files over stdin, where neither the
 * container's command line nor `docker inspect` can show them. Names must fit the 100-byte name
 * field; nothing else of the format is needed.
 */
export interface TarFile {
  /** Relative path with `/` separators; a trailing `/` makes a directory. */
  name: string;
  mode: number;
  data?: Buffer;
}

const BLOCK = 512;

/** The archive as chunks (headers, the file data by reference, padding, the two end blocks). */
export function tarChunks(files: readonly TarFile[]): Buffer[] {
  const out: Buffer[] = [];
  for (const f of files) {
    const dir = f.name.endsWith('/');
    const size = dir ? 0 : (f.data?.length ?? 0);
    out.push(header(f.name, f.mode, size, dir));
    if (size > 0) {
      out.push(f.data!);
      if (size % BLOCK !== 0) out.push(Buffer.alloc(BLOCK - (size % BLOCK)));
    }
  }
  out.push(Buffer.alloc(2 * BLOCK));
  return out;
}

function header(name: string, mode: number, size: number, dir: boolean): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100 || name.startsWith('/') || name.split('/').includes('..'))
    throw new Error(`assert: tar name ${JSON.stringify(name)} is not a short relative path`);
  const h = Buffer.alloc(BLOCK);
  nameBytes.copy(h, 0);
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, 0); // mtime
  h.write('        ', 148, 'latin1'); // checksum is computed with its own field as spaces
  h.write(dir ? '5' : '0', 156, 'latin1');
  h.write('ustar\u000000', 257, 'latin1');
  let sum = 0;
  for (const b of h) sum += b;
  octal(h, 148, 7, sum);
  return h;
}

function octal(h: Buffer, offset: number, width: number, value: number): void {
  const s = value.toString(8);
  if (s.length > width - 1) throw new Error(`assert: ${value} does not fit a ${width}-byte tar field`);
  h.write(s.padStart(width - 1, '0') + '\u0000', offset, 'latin1');
}
