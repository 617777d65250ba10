import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Options of the project's command-line tools (`npm run fuzz`, `npm run soak`): parsed strictly, with
 * `--help`. Returns the values, or the exit code after printing the usage (0 for --help, 2 for a mistake).
 */
export function parseToolArgs(
  argv: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  usage: string,
): Record<string, string | boolean | string[] | undefined> | number {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return values as Record<string, string | boolean | string[] | undefined>;
}
