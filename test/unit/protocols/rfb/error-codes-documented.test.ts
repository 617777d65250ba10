import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Every RFB_ERR_* code raised by protocols/rfb/*.ts is listed in docs/errors.md (STYLE habit 5). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('RFB error codes are documented', () => {
  const docs = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  const dir = join(ROOT, 'protocols/rfb');
  const codes = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/'(RFB_ERR_[A-Z0-9_]+)'/g)) codes.add(m[1]!);
  }

  it('finds the codes', () => {
    expect(codes.size).toBeGreaterThan(10);
  });

  for (const code of [...codes].sort()) {
    it(`${code} has a row in docs/errors.md`, () => {
      expect(docs).toContain(`\`${code}\``);
    });
  }
});
