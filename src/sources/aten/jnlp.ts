/**
 * Reads what the gateway needs from a Supermicro iKVM JNLP (a Java Web Start descriptor the BMC
 * mints per launch): the positional `<argument>`s of `<application-desc>`.
 *
 * The document comes from the BMC and is untrusted, so this is not a general XML parser: it refuses
 * DTDs (no entity expansion of any kind), bounds the size, knows only the five predefined entities
 * and numeric character references, and looks only at `<argument>` elements inside the one
 * `<application-desc>`.
 *
 * Argument positions (notes §6.2, from mkrasselt1's server.py, decaffeine-ipmi jnlp.rs, ATENtion):
 *   0 BMC host, 1 KVM user token, 2 KVM password token, 3 "null", 4 KVM port (plain RFB),
 *   5 virtual media port (623), 6-7 company/board id, 8 "1" = TLS (newer firmware), 9 TLS port.
 */
export const MAX_JNLP_BYTES = 256 * 1024;

export interface JnlpKvmArguments {
  /** Every argument, in order. */
  arguments: string[];
  /** Argument 0: the host the Java viewer would connect to. */
  host: string;
  /** Arguments 1 and 2: the one-time credentials for the ATEN handshake. */
  username: string;
  password: string;
  /** Where the KVM listens: argument 9 with TLS when argument 8 is "1", else argument 4 in clear. */
  port: number;
  tls: boolean;
}

export class JnlpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JnlpError';
  }
}

export function parseJnlp(text: string): JnlpKvmArguments {
  if (text.length > MAX_JNLP_BYTES) throw new JnlpError(`JNLP of ${text.length} characters exceeds ${MAX_JNLP_BYTES}`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new JnlpError('JNLP contains a DTD; refused');
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  if (!/<jnlp[\s>]/.test(body)) throw new JnlpError('not a JNLP document (no <jnlp> element)');
  const apps = [...body.matchAll(/<application-desc\b[^>]*?(?:\/>|>([\s\S]*?)<\/application-desc\s*>)/g)];
  if (apps.length !== 1) throw new JnlpError(`expected one <application-desc>, found ${apps.length}`);
  const inner = apps[0]![1] ?? '';
  const args: string[] = [];
  for (const m of inner.matchAll(/<argument\s*(?:\/>|>([\s\S]*?)<\/argument\s*>)/g)) {
    args.push(decodeText(m[1] ?? '').trim());
  }
  if (args.length < 5) throw new JnlpError(`expected at least 5 <argument>s, found ${args.length}`);
  const tls = args[8] === '1';
  const portText = tls ? args[9] : args[4];
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new JnlpError(`argument ${tls ? 9 : 4} is not a port: ${JSON.stringify(portText)}`);
  return { arguments: args, host: args[0]!, username: args[1]!, password: args[2]!, port, tls };
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeText(s: string): string {
  const cdata = s.match(/^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/);
  if (cdata) return cdata[1]!;
  if (s.includes('<')) throw new JnlpError('markup inside an <argument>');
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);/g, (all, ref: string) => {
    if (ref.startsWith('#x')) return codePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return codePoint(parseInt(ref.slice(1), 10));
    const v = NAMED[ref];
    if (v === undefined) throw new JnlpError(`unknown entity ${all}`);
    return v;
  });
}

function codePoint(n: number): string {
  if (n < 1 || n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) throw new JnlpError(`bad character reference ${n}`);
  return String.fromCodePoint(n);
}
