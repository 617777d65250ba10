/**
 * One fuzz target: a parser or network-facing state machine, fed inputs mutated from real captures
 * and test vectors (docs/fuzzing.md). Adding one is a file in fuzz/targets/ and a line in
 * fuzz/targets/index.ts.
 */
export interface FuzzTarget {
  /** Short name for `--target` (kebab-case). */
  readonly name: string;
  /** What it drives, one line (printed by `npm run fuzz -- --list`). */
  readonly description: string;
  /** Starting inputs: real captures and vectors, small (a few KiB each is best for speed). */
  seeds(): Buffer[] | Promise<Buffer[]>;
  /**
   * Runs one input. Returns a short outcome word (which path it took: messages produced, how far it
   * got). Throwing an error `expected` accepts is an outcome too; anything else escapes: a bug.
   */
  run(input: Buffer): string | Promise<string>;
  /** True for the typed errors this target may throw on bad input (ProtocolError, ConfigError, …). */
  expected(err: unknown): boolean;
  /** Called once before the first input / after the last (e.g. build a gateway). */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** Inputs of the suite's short run (test/unit/fuzz/short-run.test.ts; default 400): fewer for targets that open a connection per input. */
  readonly suiteInputs?: number;
  /** Inputs longer than this are cut (default 64 KiB). */
  readonly maxInputBytes?: number;
  /**
   * Files whose code counts for coverage guidance (substrings of script URLs, e.g. '/protocols/rfb/').
   * Without it the target is guided by outcomes only.
   */
  readonly coverage?: readonly string[];
}

/** How an error names itself in an outcome: its stable code and field when it has them. */
export function errorOutcome(err: unknown): string {
  const e = err as { code?: unknown; field?: unknown };
  return `err:${typeof e.code === 'string' ? e.code : 'typed'}${typeof e.field === 'string' ? `:${e.field}` : ''}`;
}

/** Feeds `input` in chunks (sizes from the first byte, so mutations vary the split too). */
export function chunks(input: Buffer): Buffer[] {
  if (input.length === 0) return [input];
  const size = 1 + ((input[0]! * 7) % 97);
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += size) out.push(input.subarray(i, i + size));
  return out;
}
