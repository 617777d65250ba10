import type { ConfigReader, Path } from './reader.js';

/**
 * Reads a web BMC's required `host` (`aten`, `openbmc` consoles): a name, an IPv4 address or an IPv6
 * address (brackets taken off). One address serves every port of the console, so a `host:port` is
 * refused with a pointer to `portKeys`, the keys that hold the port.
 */
export function readWebBmcHost(r: ConfigReader, path: Path, value: unknown, portKeys: string): string | undefined {
  let host = r.string([...path, 'host'], value, { required: true });
  if (host === undefined) return undefined;
  const v6 = /^\[([^\]]+)\]$/.exec(host);
  if (v6) host = v6[1]!;
  else if (/^[^:]+:\d+$/.test(host)) r.problem([...path, 'host'], `give the address alone and the ${portKeys} (got "${host}")`);
  if (/[/\s@?#]/.test(host)) r.problem([...path, 'host'], `must be a host name or address, got "${host}"`);
  return host;
}
