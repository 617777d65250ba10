import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../protocols/aten');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
}

describe('protocols/aten is pure', () => {
  it('imports no I/O, timers or logging, only relative modules', () => {
    const all = files(root);
    expect(all.length).toBeGreaterThan(10);
    for (const f of all) {
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/^\s*import\s[^'"]*['"]([^'"]+)['"]/gm)) expect(m[1]!.startsWith('.'), `${f} imports ${m[1]}`).toBe(true);
      expect(/\b(setTimeout|setInterval|setImmediate|console\.)/.test(src), `${f} uses timers or console`).toBe(false);
    }
  });
});
