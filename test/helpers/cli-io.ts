import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/power/cli-common.js';

/**
 * Streams for a CLI command function, with what it wrote to stdout and stderr so far (latin1 keeps
 * serial bytes one character each; utf8 for text).
 */
export function captureIo(
  input = new PassThrough(),
  encoding: 'latin1' | 'utf8' = 'latin1',
): CliIo & { out: () => string; err: () => string; input: PassThrough } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString(encoding);
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString(encoding);
  });
  return { stdin: input, stdout, stderr, out: () => out, err: () => err, input };
}
