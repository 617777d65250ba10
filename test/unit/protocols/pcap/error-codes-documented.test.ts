import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** Every PCAP_ERR_* code raised by protocols/pcap is listed in docs/errors.md (STYLE habit 5). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('pcap error codes are documented', () => {
  const docs = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  const codes = new Set<string>();
  for (const f of readdirSync(join(ROOT, 'protocols/pcap'))) {
    for (const m of readFileSync(join(ROOT, 'protocols/pcap', f), 'utf8').matchAll(/'(PCAP_ERR_[A-Z0-9_]+)'/g)) codes.add(m[1]!);
  }

  it('finds the codes', () => {
    expect(codes.size).toBe(5);
  });

  for (const code of [...codes].sort()) {
    it(`${code} has a row in docs/errors.md`, () => {
      expect(docs).toContain(`\`${code}\``);
    });
  }
});
