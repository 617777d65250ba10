import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface ToolIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = { [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : string };

/**
 * The argument handling the aten-frame and aten-replay tools share: the command's own name may lead
 * `argv` (as the CLI passes it); a parse error prints it with the usage (exit code 2); --help / -h
 * prints the usage (exit code 0). Returns the parsed values, or the exit code to return.
 */
export function parseToolArgs<O extends Options>(
  argv: string[],
  command: string,
  usage: string,
  options: O,
  io: ToolIo,
): { values: Values<O>; positionals: string[] } | number {
  const args = argv[0] === command ? argv.slice(1) : argv;
  let parsed: { values: Values<O> & { help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { ...options, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout.write(usage);
    return 0;
  }
  return parsed;
}
