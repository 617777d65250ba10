import { createHash } from 'node:crypto';
import { prng } from '../src/util/prng.js';
import { BlockCoverage } from './coverage.js';
import { mutate } from './mutator.js';
import { errorOutcome, type FuzzTarget } from './types.js';

export interface Escape {
  /** The smallest input found that escapes this way. */
  input: Buffer;
  /** Error name, message and where it was thrown. */
  error: string;
  /** sha256 of the input, first 16 hex digits: the regression file's name. */
  id: string;
}

export interface CampaignResult {
  target: string;
  inputs: number;
  seconds: number;
  inputsPerSecond: number;
  /** Distinct outcomes (paths through the target's states and errors). */
  outcomes: number;
  /** Blocks of the target's own code executed at least once (coverage guidance), or null without. */
  blocks: number | null;
  corpus: number;
  escapes: Escape[];
  /** The most frequent outcomes, for the report. */
  top: [string, number][];
  /** CPU time of the most expensive single input, ms (a parser must never loop on bad input). */
  slowestMs: number;
}

const BATCH = 32;
const MAX_CORPUS = 4000;
/**
 * An input that costs more CPU time than this is reported as an escape: parsers must be bounded.
 * CPU time of this process (process.cpuUsage), not wall time: on a machine shared with other work a
 * normal 16 ms AST2100 frame took 1.5 s of wall time (load average 27 on 2 cores), which the first
 * campaign reported as two "slow" escapes that were nothing but waiting for a core.
 */
const SLOW_MS = 2000;
/** An input whose run has not settled after this long is an escape too (an await that never resolves: a hung session). */
const HANG_MS = 10_000;

export class HangError extends Error {
  constructor(ms: number) {
    super(`did not settle within ${ms / 1000} s (a promise that never resolves on this input)`);
    this.name = 'HangError';
  }
}

/** `target.run(input)`, failing with HangError when it has not settled within HANG_MS (the run itself is left behind). */
async function runBounded(target: FuzzTarget, input: Buffer, hangMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HangError(hangMs)), hangMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => target.run(input)), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One campaign against one target: seeds first, then mutations of the corpus, each input's outcome
 * recorded; an input with a new outcome (or, with coverage, new blocks of the target's code) joins
 * the corpus. Stops after `seconds` or `maxInputs`, whichever comes first. Deterministic for a seed
 * (apart from where time runs out).
 */
export async function runCampaign(
  target: FuzzTarget,
  o: { seconds?: number; maxInputs?: number; seed: number; coverage: boolean; hangMs?: number; slowMs?: number },
): Promise<CampaignResult> {
  const r = prng(o.seed);
  const max = target.maxInputBytes ?? 64 * 1024;
  const seeds = (await target.seeds()).map((s) => (s.length > max ? s.subarray(0, max) : s));
  const corpus: Buffer[] = seeds.length > 0 ? [...seeds] : [Buffer.alloc(0)];
  const outcomes = new Map<string, number>();
  const escapes = new Map<string, Escape>();
  const coverage = o.coverage && target.coverage ? await BlockCoverage.start(target.coverage) : undefined;
  await target.setup?.();
  const started = performance.now();
  const deadline = o.seconds === undefined ? Infinity : started + o.seconds * 1000;
  const maxInputs = o.maxInputs ?? Infinity;
  const hangMs = o.hangMs ?? HANG_MS;
  const slowMs = o.slowMs ?? SLOW_MS;
  let inputs = 0;
  let slowestMs = 0;

  /** Runs one input; returns true when its outcome was new. */
  const exec = async (input: Buffer): Promise<boolean> => {
    inputs++;
    const cpu0 = process.cpuUsage();
    let outcome: string;
    try {
      outcome = `ok:${await runBounded(target, input, hangMs)}`;
    } catch (err) {
      if (!(err instanceof HangError) && target.expected(err)) outcome = errorOutcome(err);
      else {
        await recordEscape(target, input, err, escapes, hangMs);
        outcome = 'escape';
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const ms = (cpu.user + cpu.system) / 1000;
    slowestMs = Math.max(slowestMs, ms);
    // One message for every slow input (the time is not in it): they are one escape, kept unshrunk (each try would cost seconds).
    if (ms > slowMs) await recordEscape(target, input, new Error(`took over ${slowMs} ms of CPU time (unbounded work on bad input?)`), escapes, hangMs, false);
    const seen = outcomes.get(outcome);
    outcomes.set(outcome, (seen ?? 0) + 1);
    return seen === undefined;
  };
  const add = (input: Buffer) => {
    corpus.push(input);
    if (corpus.length > MAX_CORPUS) corpus.splice(seeds.length + Math.floor(r() * (corpus.length - seeds.length)), 1);
  };

  try {
    for (const s of seeds) await exec(s);
    await coverage?.take();
    while (performance.now() < deadline && inputs < maxInputs) {
      const batch: Buffer[] = [];
      for (let i = 0; i < BATCH && inputs < maxInputs; i++) {
        // Recent finds first: half the time one of the last 64 corpus entries.
        const parent = r() < 0.5 ? corpus[corpus.length - 1 - Math.floor(r() * Math.min(64, corpus.length))]! : corpus[Math.floor(r() * corpus.length)]!;
        const input = mutate(parent, r, () => corpus[Math.floor(r() * corpus.length)]!, max);
        batch.push(input);
        if (await exec(input)) add(input);
      }
      if (coverage && (await coverage.take()) > 0) {
        // Something in the batch reached new code: find which inputs, one by one.
        for (const input of batch) {
          await exec(input);
          if ((await coverage.take()) > 0 && !corpus.includes(input)) add(input);
        }
      }
    }
  } finally {
    await target.teardown?.();
    await coverage?.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    target: target.name,
    inputs,
    seconds,
    inputsPerSecond: inputs / Math.max(seconds, 1e-3),
    outcomes: outcomes.size,
    blocks: coverage ? coverage.blocks : null,
    corpus: corpus.length,
    escapes: [...escapes.values()],
    top: [...outcomes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8),
    slowestMs,
  };
}

function describeError(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const where = /\n\s+at (.*)/.exec(e.stack ?? '')?.[1] ?? '';
  return `${e.name}: ${e.message.slice(0, 160)}${where ? ` (at ${where})` : ''}`;
}

/** Keeps the smallest input per distinct error, shrunk by cutting bytes while it still fails the same way. */
async function recordEscape(target: FuzzTarget, input: Buffer, err: unknown, escapes: Map<string, Escape>, hangMs: number, shrink = true): Promise<void> {
  const error = describeError(err);
  const known = escapes.get(error);
  if (known && known.input.length <= input.length) return;
  let smallest = input;
  const stillFails = async (b: Buffer): Promise<boolean> => {
    try {
      await runBounded(target, b, hangMs);
      return false;
    } catch (e) {
      return (e instanceof HangError || !target.expected(e)) && describeError(e) === error;
    }
  };
  // Bounded shrinking: drop halves, then quarters, … of what is left.
  for (let tries = 0, step = shrink ? Math.max(1, smallest.length >> 1) : 0; tries < 200 && step >= 1; tries++) {
    let cut = false;
    for (let i = 0; i + step <= smallest.length && tries < 200; i += step, tries++) {
      const candidate = Buffer.concat([smallest.subarray(0, i), smallest.subarray(i + step)]);
      if (await stillFails(candidate)) {
        smallest = candidate;
        cut = true;
        break;
      }
    }
    if (!cut) step >>= 1;
  }
  escapes.set(error, { input: smallest, error, id: createHash('sha256').update(smallest).digest('hex').slice(0, 16) });
}
