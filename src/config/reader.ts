import { isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import { parseDuration } from './duration.js';

export type Path = readonly (string | number)[];

/** A config file that is not valid: every problem found, each naming its key path and line. */
export class ConfigError extends Error {
  readonly code = 'GW_ERR_CONFIG';
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[]) {
    super(`invalid configuration in ${source}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function formatPath(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}

/**
 * Typed accessors over a parsed YAML document that record a problem (with key path and line) instead
 * of throwing, so one run reports every mistake in the file. Unknown keys are problems too: a typo
 * must not silently fall back to a default (we do better than ignoring them, see shared/STYLE.md).
 */
export class ConfigReader {
  readonly problems: string[] = [];
  readonly #doc: Document | undefined;
  readonly #lines: LineCounter | undefined;

  constructor(doc?: Document, lines?: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  problem(path: Path, message: string): void {
    this.problems.push(`${formatPath(path)}: ${message}${this.#where(path)}`);
  }

  #where(path: Path): string {
    if (!this.#doc || !this.#lines) return '';
    // Point at the value if it exists, else at the closest parent that does.
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.#doc.contents : this.#doc.getIn(path.slice(0, n), true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range) {
        const pos = this.#lines.linePos(range[0]);
        return ` (line ${pos.line}, column ${pos.col})`;
      }
      if (n > 0 && isScalar(node)) break;
    }
    return '';
  }

  /** Checks `value` is a mapping with only `allowed` keys; returns it as a record. */
  object(path: Path, value: unknown, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      this.problem(path, `must be a mapping (key: value), got ${describe(value)}`);
      return undefined;
    }
    const rec = value as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      if (!allowed.includes(key)) this.problem([...path, key], `unknown key (allowed here: ${allowed.join(', ')})`);
    }
    return rec;
  }

  array(path: Path, value: unknown): unknown[] | undefined {
    if (!Array.isArray(value)) {
      this.problem(path, `must be a list, got ${describe(value)}`);
      return undefined;
    }
    return value as unknown[];
  }

  /**
   * `unfilled`: for an optional key whose explicit `null` must not read as "absent" — the value an
   * operator has still to write (`bmc-gateway probe` and `convert-nojava` print null for every
   * secret); the text says what to write.
   */
  string(path: Path, value: unknown, opts: { required?: boolean; nonEmpty?: boolean; unfilled?: string } = {}): string | undefined {
    if (value === null && opts.unfilled !== undefined) {
      this.problem(path, `is null: ${opts.unfilled}`);
      return undefined;
    }
    if (value === undefined || value === null) {
      if (opts.required) this.problem(path, 'is required');
      return undefined;
    }
    // YAML reads 25250 as a number; an id or a PIN written without quotes is still meant as text.
    if (typeof value === 'number' && Number.isInteger(value)) value = String(value);
    if (typeof value !== 'string') {
      this.problem(path, `must be a string, got ${describe(value)}`);
      return undefined;
    }
    if ((opts.nonEmpty ?? true) && value.length === 0) {
      this.problem(path, 'must not be empty');
      return undefined;
    }
    return value;
  }

  integer(path: Path, value: unknown, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    if (value === undefined || value === null) {
      if (opts.required) this.problem(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.problem(path, `must be an integer, got ${describe(value)}`);
      return undefined;
    }
    if ((opts.min !== undefined && value < opts.min) || (opts.max !== undefined && value > opts.max)) {
      this.problem(path, `must be between ${opts.min ?? '-∞'} and ${opts.max ?? '∞'}, got ${value}`);
      return undefined;
    }
    return value;
  }

  boolean(path: Path, value: unknown): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.problem(path, `must be true or false, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  duration(path: Path, value: unknown): number | undefined {
    if (value === undefined || value === null) return undefined;
    const ms = parseDuration(value);
    if (ms === undefined) this.problem(path, `must be a duration such as "500ms", "60s", "5m" or "1h", got ${describe(value)}`);
    return ms;
  }

  oneOf<T extends string>(path: Path, value: unknown, choices: readonly T[]): T | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' || !choices.includes(value as T)) {
      this.problem(path, `must be one of ${choices.join(', ')}, got ${describe(value)}`);
      return undefined;
    }
    return value as T;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  // What YAML leaves: numbers and booleans (nothing else reaches here from a YAML document).
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}

export { isMap, isSeq };
