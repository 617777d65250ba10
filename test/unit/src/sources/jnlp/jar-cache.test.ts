import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../../src/log.js';
import { JarCache } from '../../../../../src/sources/jnlp/jar-cache.js';

const log = createLogger('silent');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('JarCache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-jarcache-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('downloads a URL once, keeps it under its content hash, and survives a restart', async () => {
    const jar = Buffer.from('jar bytes');
    let downloads = 0;
    const download = async () => {
      downloads++;
      return jar;
    };
    const url = new URL('https://bmc1/iKVM.jar');
    const a = await new JarCache({ dir, maxBytes: 1 << 20, log }).get(url, download);
    expect(a).toMatchObject({ name: `${sha(jar)}.jar`, cached: false });
    const b = await new JarCache({ dir, maxBytes: 1 << 20, log }).get(url, download);
    expect(b.cached).toBe(true);
    expect(b.data.equals(jar)).toBe(true);
    expect(downloads).toBe(1);
    // Another board's URL is another key (its firmware may serve other bytes under the same name).
    await new JarCache({ dir, maxBytes: 1 << 20, log }).get(new URL('https://bmc2/iKVM.jar'), download);
    expect(downloads).toBe(2);
    expect((await readdir(dir)).sort()).toEqual([`${sha(jar)}.jar`, 'index.json']);
  });

  it('names files by hash only: an href full of ../ chooses a URL, never a path', async () => {
    const cache = new JarCache({ dir, maxBytes: 1 << 20, log });
    await cache.get(new URL('https://bmc/a/../../../../etc/passwd%2F..%2Fx.jar'), async () => Buffer.from('x'));
    expect((await readdir(dir)).every((f) => /^[0-9a-f]{64}\.jar$|^index\.json$/.test(f))).toBe(true);
  });

  it('downloads again when a cached file is damaged or altered', async () => {
    const url = new URL('https://bmc/v.jar');
    const jar = Buffer.from('original');
    await new JarCache({ dir, maxBytes: 1 << 20, log }).get(url, async () => jar);
    await writeFile(join(dir, `${sha(jar)}.jar`), 'tampered');
    let downloads = 0;
    const again = await new JarCache({ dir, maxBytes: 1 << 20, log }).get(url, async () => {
      downloads++;
      return jar;
    });
    expect(downloads).toBe(1);
    expect(again.data.equals(jar)).toBe(true);
  });

  it('stays within maxBytes by removing the least recently used jars; a jar bigger than the cache is used, not kept', async () => {
    const cache = new JarCache({ dir, maxBytes: 1000, log });
    const jar = (c: string) => Buffer.alloc(400, c);
    await cache.get(new URL('https://b/1.jar'), async () => jar('1'));
    await new Promise((r) => setTimeout(r, 5));
    await cache.get(new URL('https://b/2.jar'), async () => jar('2'));
    await new Promise((r) => setTimeout(r, 5));
    await cache.get(new URL('https://b/1.jar'), async () => jar('1')); // 1 is now the most recently used
    await new Promise((r) => setTimeout(r, 5));
    await cache.get(new URL('https://b/3.jar'), async () => jar('3'));
    const files = (await readdir(dir)).filter((f) => f.endsWith('.jar')).sort();
    expect(files).toEqual([`${sha(jar('1'))}.jar`, `${sha(jar('3'))}.jar`].sort());
    const huge = await cache.get(new URL('https://b/huge.jar'), async () => Buffer.alloc(5000));
    expect(huge.data.length).toBe(5000);
    expect((await readdir(dir)).some((f) => f.startsWith(sha(Buffer.alloc(5000))))).toBe(false);
  });

  it('shares one download between sessions asking for the same jar at once', async () => {
    const cache = new JarCache({ dir, maxBytes: 1 << 20, log });
    let downloads = 0;
    const slow = async () => {
      downloads++;
      await new Promise((r) => setTimeout(r, 50));
      return Buffer.from('shared');
    };
    const url = new URL('https://bmc/s.jar');
    const [a, b] = await Promise.all([cache.get(url, slow), cache.get(url, slow)]);
    expect(downloads).toBe(1);
    expect(a.name).toBe(b.name);
  });

  it('starts empty over a damaged index', async () => {
    await writeFile(join(dir, 'index.json'), '{not json');
    const got = await new JarCache({ dir, maxBytes: 1 << 20, log }).get(new URL('https://bmc/a.jar'), async () => Buffer.from('a'));
    expect(got.cached).toBe(false);
  });
});
