import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { stringify } from 'yaml';
import { convertNojavaConfig, NojavaConfigError, type ConvertedNojavaHost } from './nojava-config.js';
import type { FrameToolIo } from './frame-tool.js';

const USAGE = 'usage: bmc-gateway convert-nojava [~/.nojava-ipmi-kvmrc.yaml]\n';

/**
 * `bmc-gateway convert-nojava FILE` — prints the `servers:` entries (console type `aten`) for the
 * hosts of a nojava-ipmi-kvm configuration, on stdout, ready to paste into the gateway's config.
 * Hosts with nojava-ipmi-kvm's `html5_endpoint` get `transport: html5`. Notes (keys dropped) go to
 * stderr. Passwords are not in that file
 * (nojava-ipmi-kvm asks for them), so each entry has `password: null`: `check-config` refuses the
 * result until they are filled in, rather than letting a placeholder reach a BMC.
 * Exit code: 0 converted, 1 the file is not a valid nojava-ipmi-kvm config, 2 usage or I/O error.
 */
export async function convertNojavaCommand(argv: string[], io: FrameToolIo = process): Promise<number> {
  const args = argv[0] === 'convert-nojava' ? argv.slice(1) : argv;
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (args.length > 1 || args.some((a) => a.startsWith('-'))) {
    io.stderr.write(USAGE);
    return 2;
  }
  const file = (args[0] ?? '~/.nojava-ipmi-kvmrc.yaml').replace(/^~(?=\/|$)/, homedir());
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    io.stderr.write(`cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  let hosts: ConvertedNojavaHost[];
  try {
    hosts = convertNojavaConfig(text);
  } catch (e) {
    if (e instanceof NojavaConfigError) {
      io.stderr.write(`${file}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const servers: Record<string, unknown>[] = [];
  for (const h of hosts) {
    for (const d of h.dropped) {
      io.stderr.write(
        `note: ${d} dropped (${d.endsWith('.rewrites') ? 'the gateway serves no BMC page to rewrite' : 'no Java runs in the gateway, and it always logs in'})\n`,
      );
    }
    if (h.html5) io.stderr.write(`note: hosts.${h.id} has an HTML5 console (html5_endpoint): transport: html5\n`);
    servers.push({ id: serverId(h.id), name: h.id, console: consoleEntry(h) });
  }
  io.stdout.write(
    `# Converted from ${file} by bmc-gateway convert-nojava.\n` +
      '# Fill in each password (nojava-ipmi-kvm never stored them), then run bmc-gateway check-config.\n' +
      stringify({ servers }, { lineWidth: 0 }),
  );
  io.stderr.write(`${servers.length} server(s) converted\n`);
  return 0;
}

/** Gateway ids allow letters, digits and `._:-`; nojava-ipmi-kvm's short names are free text. */
function serverId(name: string): string {
  return name.replace(/[^A-Za-z0-9._:-]/g, '-').slice(0, 128) || 'host';
}

function consoleEntry(h: ConvertedNojavaHost): Record<string, unknown> {
  // full_hostname may carry the web port (nojava-ipmi-kvm builds https://<full_hostname>/…).
  let host = h.host;
  let webPort: number | undefined;
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(host);
  if (m) {
    host = m[1]!;
    webPort = Number(m[2]);
  }
  return {
    type: 'aten',
    ...(h.html5 ? { transport: 'html5' } : {}),
    host: host.replace(/^\[(.*)\]$/, '$1'),
    ...(webPort !== undefined ? { webPort } : {}),
    user: h.username,
    password: null,
    ...h.overrides,
  };
}
