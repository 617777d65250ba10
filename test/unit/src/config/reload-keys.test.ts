import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../../../src/config/load.js';
import { FIXED_AT_START, RELOADABLE } from '../../../../src/config/reload.js';

describe('what a SIGHUP reload cannot apply', () => {
  it('is every key of the file but servers, tokens, operators and atenTemplates (resolved into servers)', () => {
    expect([...FIXED_AT_START, ...RELOADABLE, 'atenTemplates'].sort()).toEqual([...CONFIG_KEYS].sort());
    // Keys the hand-kept list had missed: a changed `workers:` was applied by nobody and said by nobody.
    expect(FIXED_AT_START).toContain('workers');
    for (const k of RELOADABLE) expect(FIXED_AT_START).not.toContain(k);
  });
});
