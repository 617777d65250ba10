import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// fastify's habit: every code a module can raise is listed in the docs, checked by a test.
it('every IPMI_ERR_* code raised in protocols/ipmi and src/ipmi is documented in docs/errors.md', () => {
  const root = join(import.meta.dirname, '../../../..');
  const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
  const codes = new Set<string>();
  for (const dir of ['protocols/ipmi', 'src/ipmi']) {
    for (const f of readdirSync(join(root, dir)).filter((n) => n.endsWith('.ts'))) {
      for (const m of readFileSync(join(root, dir, f), 'utf8').matchAll(/'(IPMI_ERR_[A-Z0-9_]+)'/g)) codes.add(m[1]!);
    }
  }
  expect(codes.size).toBeGreaterThan(30);
  for (const code of codes) expect(doc, code).toContain(`\`${code}\``);
});
