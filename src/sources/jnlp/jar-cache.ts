import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.js';

/**
 * Jars of Java viewers, downloaded once per URL and kept on disk by content hash, bounded in size.
 *
 * - `index.json` maps a jar's URL (origin + path + query) to the SHA-256 and size of what it served;
 *   the file is `<sha256>.jar`. A URL seen before is not downloaded again; its file is read back and
 *   its hash checked (a damaged or altered file is downloaded again).
 * - Nothing from the JNLP becomes a path: names are hex digests we computed. An href full of `../`
 *   can only choose a URL, never a file.
 * - Over `maxBytes`, the least recently used jars are deleted. A jar bigger than the whole cache is
 *   used and not kept.
 * - Two sessions wanting one URL at once share one download. Gateways sharing a folder may download
 *   a jar twice (the index is rewritten whole; the last writer wins), never use a wrong one.
 */
export const MAX_JAR_BYTES = 32 * 1024 * 1024;

interface IndexEntry {
  sha256: string;
  size: number;
  lastUsed: number;
}

export interface CachedJar {
  /** `<sha256>.jar`: the name the jar has in a session's jars/ folder. */
  name: string;
  data: Buffer;
  /** True when it came from the cache, not the network. */
  cached: boolean;
}

export class JarCache {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #log: Logger;
  #index = new Map<string, IndexEntry>();
  #loaded: Promise<void> | undefined;
  readonly #inFlight = new Map<string, Promise<CachedJar>>();

  constructor(opts: { dir: string; maxBytes: number; log: Logger }) {
    this.#dir = opts.dir;
    this.#maxBytes = opts.maxBytes;
    this.#log = opts.log.child({ component: 'jar-cache' });
  }

  get dir(): string {
    return this.#dir;
  }

  /** The jar at `url`: from the cache when this URL was downloaded before, else from `download`. */
  async get(url: URL, download: () => Promise<Buffer>): Promise<CachedJar> {
    await (this.#loaded ??= this.#load());
    const key = url.href;
    const running = this.#inFlight.get(key);
    if (running) return running;
    const p = this.#get(key, download).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, p);
    return p;
  }

  async #get(key: string, download: () => Promise<Buffer>): Promise<CachedJar> {
    const known = this.#index.get(key);
    if (known) {
      const data = await readFile(join(this.#dir, `${known.sha256}.jar`)).catch(() => undefined);
      if (data && data.length === known.size && sha256(data) === known.sha256) {
        known.lastUsed = Date.now();
        await this.#save();
        return { name: `${known.sha256}.jar`, data, cached: true };
      }
      this.#log.warn({ event: 'jar-cache-damaged', url: key }, 'a cached jar is missing or altered; downloading it again');
      this.#index.delete(key);
    }
    const data = await download();
    const digest = sha256(data);
    const name = `${digest}.jar`;
    if (data.length <= this.#maxBytes) {
      const tmp = join(this.#dir, `.${name}.${randomBytes(4).toString('hex')}`);
      await writeFile(tmp, data, { mode: 0o600 });
      await rename(tmp, join(this.#dir, name));
      this.#index.set(key, { sha256: digest, size: data.length, lastUsed: Date.now() });
      await this.#evict(digest);
      await this.#save();
    }
    this.#log.info({ event: 'jar-downloaded', url: key, bytes: data.length, sha256: digest }, 'jar downloaded');
    return { name, data, cached: false };
  }

  async #load(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    try {
      const raw = JSON.parse(await readFile(join(this.#dir, 'index.json'), 'utf8')) as Record<string, IndexEntry>;
      for (const [url, e] of Object.entries(raw)) {
        if (typeof e?.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256) && Number.isSafeInteger(e.size) && Number.isFinite(e.lastUsed))
          this.#index.set(url, e);
      }
    } catch {
      // No index yet, or a damaged one: start empty (files are checked by hash when used anyway).
    }
  }

  /** Deletes least recently used jars until the cache fits, never the one just added. */
  async #evict(keep: string): Promise<void> {
    const bySha = new Map<string, { size: number; lastUsed: number }>();
    for (const e of this.#index.values()) {
      const cur = bySha.get(e.sha256);
      bySha.set(e.sha256, { size: e.size, lastUsed: Math.max(cur?.lastUsed ?? 0, e.lastUsed) });
    }
    let total = [...bySha.values()].reduce((s, e) => s + e.size, 0);
    const oldest = [...bySha.entries()].filter(([sha]) => sha !== keep).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [sha, e] of oldest) {
      if (total <= this.#maxBytes) break;
      for (const [url, ie] of this.#index) if (ie.sha256 === sha) this.#index.delete(url);
      await rm(join(this.#dir, `${sha}.jar`), { force: true });
      total -= e.size;
      this.#log.info({ event: 'jar-evicted', sha256: sha, bytes: e.size }, 'jar removed from the cache');
    }
  }

  async #save(): Promise<void> {
    const tmp = join(this.#dir, `.index.${randomBytes(4).toString('hex')}`);
    await writeFile(tmp, JSON.stringify(Object.fromEntries(this.#index)), { mode: 0o600 });
    await rename(tmp, join(this.#dir, 'index.json'));
  }
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}
