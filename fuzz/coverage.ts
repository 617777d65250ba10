import { Session } from 'node:inspector/promises';

/**
 * Coverage guidance from V8's own block coverage (the inspector's Profiler.takePreciseCoverage, which
 * also resets the counters), so no instrumenting build is needed: a block is "seen" once any input
 * executed it. Taking coverage costs ~0.5 ms, so the engine runs inputs in batches and takes it once
 * per batch, re-running a batch input by input only when the batch found something new.
 */
export class BlockCoverage {
  readonly #session = new Session();
  readonly #seen = new Set<string>();
  readonly #filters: readonly string[];

  private constructor(filters: readonly string[]) {
    this.#filters = filters;
  }

  static async start(filters: readonly string[]): Promise<BlockCoverage> {
    const c = new BlockCoverage(filters);
    c.#session.connect();
    await c.#session.post('Profiler.enable');
    await c.#session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
    await c.take(); // forget what ran before
    return c;
  }

  get blocks(): number {
    return this.#seen.size;
  }

  /** Blocks executed since the last call that were never seen before (and marks them seen). */
  async take(): Promise<number> {
    const { result } = await this.#session.post('Profiler.takePreciseCoverage');
    let fresh = 0;
    for (const script of result) {
      if (!this.#filters.some((f) => script.url.includes(f))) continue;
      for (const fn of script.functions) {
        for (const range of fn.ranges) {
          if (range.count === 0) continue;
          const key = `${script.url}:${range.startOffset}:${range.endOffset}`;
          if (this.#seen.has(key)) continue;
          this.#seen.add(key);
          fresh++;
        }
      }
    }
    return fresh;
  }

  async stop(): Promise<void> {
    await this.#session.post('Profiler.stopPreciseCoverage');
    await this.#session.post('Profiler.disable');
    this.#session.disconnect();
  }
}
