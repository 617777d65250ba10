import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppendFile } from '../../../src/recording/append-file.js';

describe("AppendFile (the recorder's writer)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-append-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes appends in order, and close() flushes everything', async () => {
    const errors: Error[] = [];
    const f = new AppendFile(join(dir, 'a'), { onError: (e) => errors.push(e) });
    for (let i = 0; i < 200; i++) f.append(Buffer.from(`${i},`));
    await f.close();
    expect(errors).toEqual([]);
    expect(await readFile(join(dir, 'a'), 'utf8')).toBe(Array.from({ length: 200 }, (_, i) => `${i},`).join(''));
    expect(f.bytesWritten).toBe((await readFile(join(dir, 'a'))).length);
  });

  it('never overwrites an existing file', () => {
    expect(() => new AppendFile(join(dir, 'a'), { onError: () => undefined })).toThrow(/EEXIST/);
  });

  it('a full disk (ENOSPC, /dev/full) is reported once, stops the file and throws at nobody', async () => {
    expect(existsSync('/dev/full'), 'needs /dev/full').toBe(true);
    const errors: NodeJS.ErrnoException[] = [];
    const f = new AppendFile('/dev/full', { onError: (e) => errors.push(e), flags: 'w' });
    f.append(Buffer.alloc(4096, 1));
    await f.idle();
    f.append(Buffer.alloc(10));
    await f.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('ENOSPC');
    expect(f.failed).toBe(errors[0]);
  });

  it('a disk slower than the producer is a bounded queue, then an error, not unbounded memory', async () => {
    const errors: Error[] = [];
    const f = new AppendFile(join(dir, 'b'), { onError: (e) => errors.push(e), maxPendingBytes: 1000 });
    for (let i = 0; i < 20; i++) f.append(Buffer.alloc(100));
    await f.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/waiting to be written/);
  });
});
