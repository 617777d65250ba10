import { randomBytes, randomInt } from 'node:crypto';
import type { TarFile } from '../../util/tar.js';
import type { PreparedLaunch } from './prepare-launch.js';

/**
 * The files of one Java viewer session, as containers/java-viewer/session.sh expects them in its
 * session folder. Everything secret travels in these files (written to a 0700 folder, or streamed
 * into the container's tmpfs), never on a command line (`ps`) or in container settings (`docker
 * inspect`): the java argfile with the JNLP's arguments and properties, the x11vnc password, the X
 * cookie.
 */

/**
 * The JDK's TLS and certificate restrictions lifted, for the viewer's JVM only (it is started with
 * -Djava.security.properties=<this file>; the host's JDK is not touched). Old BMCs speak TLS 1.0
 * with RSA key exchange, 3DES or RC4, SHA-1/MD5-signed certificates and 1024-bit DH, which JDK 17
 * refuses by default (java.security: jdk.tls.disabledAlgorithms, jdk.certpath.disabledAlgorithms).
 * Empty values mean "nothing disabled".
 */
export const RELAXED_JAVA_SECURITY = `# bmc-gateway: for a BMC's Java viewer inside its sandbox only.
jdk.tls.disabledAlgorithms=
jdk.certpath.disabledAlgorithms=
jdk.jar.disabledAlgorithms=
jdk.tls.legacyAlgorithms=
jdk.security.legacyAlgorithms=
`;

/** What prepareLaunch gave (the JNLP, its main class, jars and native libraries), and where and how it runs. */
export interface LaunchInput extends Omit<PreparedLaunch, 'cachedJars'> {
  /** The session folder as the viewer's processes see it (the argfile's paths start there). */
  dir: string;
  /** Upper bound of the JVM heap (the sandbox's memory minus room for Xvfb and x11vnc). */
  maxHeapBytes: number | undefined;
}

export interface LaunchFiles {
  files: TarFile[];
  /** x11vnc's password (VNC Authentication uses its first 8 characters). */
  vncPassword: string;
}

const PASSWORD_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

export function launchFiles(input: LaunchInput): LaunchFiles {
  const vncPassword = Array.from({ length: 8 }, () => PASSWORD_CHARS[randomInt(PASSWORD_CHARS.length)]).join('');
  const d = input.dir;
  const args: string[] = [
    '-XX:-UsePerfData', // no hsperfdata file: /tmp is small and the root file system read-only
    '-XX:+UseSerialGC', // one person's viewer: the smallest, quickest-starting collector
    `-Djava.io.tmpdir=${d}/home`,
    `-Duser.home=${d}/home`,
  ];
  const heap = clampHeap(input.doc.maxHeapBytes, input.maxHeapBytes);
  if (heap !== undefined) args.push(`-Xmx${Math.floor(heap / 1024 ** 2)}m`);
  const initial = input.doc.initialHeapBytes;
  if (initial !== undefined && (heap === undefined || initial <= heap)) args.push(`-Xms${Math.max(1, Math.floor(initial / 1024 ** 2))}m`);
  args.push('-cp', input.jars.map((j) => `${d}/jars/${j.name}`).join(':'));
  // The JNLP's properties first: the gateway's own come after them and win.
  for (const [name, value] of input.doc.properties) args.push(`-D${name}=${value}`);
  args.push(`-Djava.security.properties=${d}/java.security`, `-Djava.library.path=${d}/native`);
  args.push(input.mainClass, ...input.doc.arguments);

  const files: TarFile[] = [
    { name: 'jars/', mode: 0o700 },
    { name: 'native/', mode: 0o700 },
    { name: 'home/', mode: 0o700 },
    ...input.jars.map((j) => ({ name: `jars/${j.name}`, mode: 0o600, data: j.data })),
    ...input.nativeLibraries.map((n) => ({ name: `native/${n.name}`, mode: 0o700, data: n.data })),
    { name: 'viewer.args', mode: 0o600, data: Buffer.from(args.map(argfileQuote).join('\n') + '\n', 'utf8') },
    { name: 'java.security', mode: 0o600, data: Buffer.from(RELAXED_JAVA_SECURITY) },
    { name: 'vncpasswd', mode: 0o600, data: Buffer.from(`${vncPassword}\n`) },
    { name: 'Xauthority', mode: 0o600, data: xauthority(randomBytes(16)) },
  ];
  return { files, vncPassword };
}

function clampHeap(wanted: number | undefined, limit: number | undefined): number | undefined {
  if (wanted === undefined) return limit;
  return limit === undefined ? wanted : Math.min(wanted, limit);
}

/**
 * One argument of a java @argfile (JDK 17 "java" tool reference, "java Command-Line Argument
 * Files"): in double quotes, with backslash escapes for `\` and `"`, and \n \r \t for control
 * characters, so any JNLP value stays one argument whatever it holds.
 */
export function argfileQuote(arg: string): string {
  const escaped = arg.replace(/[\\"\n\r\t]/g, (c) => ({ '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c]!);
  return `"${escaped}"`;
}

/**
 * An Xauthority file (libXau's format: big-endian u16 family, then u16-length-prefixed address,
 * display number, auth name and data) with one MIT-MAGIC-COOKIE-1 for any display (FamilyWild):
 * Xvfb is started with -auth on it, and the viewer and x11vnc read it through XAUTHORITY.
 */
export function xauthority(cookie: Buffer): Buffer {
  const u16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    return b;
  };
  const field = (b: Buffer) => Buffer.concat([u16(b.length), b]);
  return Buffer.concat([u16(0xffff), field(Buffer.alloc(0)), field(Buffer.alloc(0)), field(Buffer.from('MIT-MAGIC-COOKIE-1')), field(cookie)]);
}
