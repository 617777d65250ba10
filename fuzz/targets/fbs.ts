import { FbsError } from '../../protocols/errors.js';
import { FbsReader } from '../../protocols/fbs/index.js';
import { readFileSync } from 'node:fs';
import { filesIn, RECORDINGS } from '../seeds.js';
import { chunks, type FuzzTarget } from '../types.js';

export const fbs: FuzzTarget = {
  name: 'fbs',
  description: 'FBS 001.000 recordings (FbsReader, incremental, then end of file)',
  coverage: ['/protocols/fbs/', '/protocols/byte-queue'],
  seeds: () => filesIn(RECORDINGS, '.fbs').map((f) => readFileSync(f).subarray(0, 16 * 1024)),
  run(input) {
    const r = new FbsReader();
    let blocks = 0;
    for (const c of chunks(input)) blocks += r.push(c).length;
    r.end();
    return `blocks:${Math.min(blocks, 16)}`;
  },
  expected: (err) => err instanceof FbsError,
};
