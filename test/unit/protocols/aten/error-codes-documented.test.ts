import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Every ATEN_ERR_* code raised by protocols/aten/** is listed in docs/errors.md (STYLE habit 5). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
}

describe('ATEN error codes are documented', () => {
  const docs = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  const codes = new Set<string>();
  for (const f of files(join(ROOT, 'protocols/aten'))) {
    for (const m of readFileSync(f, 'utf8').matchAll(/'(ATEN_ERR_[A-Z0-9_]+)'/g)) codes.add(m[1]!);
  }

  it('finds the codes', () => {
    expect(codes.size).toBeGreaterThan(15);
  });

  for (const code of [...codes].sort()) {
    it(`${code} has a row in docs/errors.md`, () => {
      expect(docs).toContain(`\`${code}\``);
    });
  }
});
