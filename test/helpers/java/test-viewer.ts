import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { expectConverges, fbImage, wsUrlOf } from '../converge.js';
import type { RgbImage } from '../images.js';
import { listenOnLoopback } from '../listen.js';
import { WsRfbClient } from '../ws-rfb-client.js';
import { requirePeer } from '../require-peer.js';
import { zipFiles } from './zip-writer.js';

/**
 * The test viewer (test/fixtures/java-viewer, a small Swing program of ours) compiled with Debian's
 * javac, packed as jars, and the TCP server it reports to. See TestViewer.java for what it draws and
 * the commands it takes.
 */
export const TEST_VIEWER_MAIN = 'bmcgw.test.TestViewer';
const SOURCE_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'java-viewer');
/** Rows at the bottom of the window that show the typed text instead of the pattern. */
export const TEXT_STRIP = 32;

export interface TestViewerJars {
  /** The viewer's classes; its manifest names the main class. */
  viewer: Buffer;
  /** A nativelib jar: one library at the top level, and two entries that must never be extracted. */
  natives: Buffer;
}

let compiled: Promise<TestViewerJars> | undefined;

/** javac once per test process. */
export function testViewerJars(): Promise<TestViewerJars> {
  compiled ??= (async () => {
    const javac = requirePeer('javac', 'openjdk-17-jdk-headless');
    const out = await mkdtemp(join(tmpdir(), 'bmcgw-test-viewer-'));
    await promisify(execFile)(javac, ['-d', out, '--release', '17', join(SOURCE_DIR, 'bmcgw', 'test', 'TestViewer.java')]);
    const files: { name: string; data: Buffer }[] = [
      { name: 'META-INF/MANIFEST.MF', data: Buffer.from(`Manifest-Version: 1.0\r\nMain-Class: ${TEST_VIEWER_MAIN}\r\n\r\n`) },
    ];
    for (const f of await listFiles(out)) files.push({ name: relative(out, f), data: await readFile(f) });
    const natives = zipFiles([
      { name: 'libbmcgwtest.so', data: Buffer.from('not really a shared library') },
      { name: 'lib/nested.so', data: Buffer.from('in a folder: not a top-level library') },
      { name: '../escape.so', data: Buffer.from('a path trick') },
    ]);
    return { viewer: zipFiles(files), natives };
  })();
  return compiled;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else out.push(p);
  }
  return out;
}

/** The pattern the viewer draws at (x, y): TestViewer.patternRgb. */
export function patternRgb(x: number, y: number): [number, number, number] {
  const bx = x >> 4;
  const by = y >> 4;
  return [(bx * 37 + by * 11) & 0xff, ((bx * 13) ^ (by * 29)) & 0xff, ((bx + by) * 53) & 0xff];
}

/** The viewer's window as it should look above the text strip. */
export function patternImage(width: number, height: number): RgbImage {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) rgb.set(patternRgb(x, y), (y * width + x) * 3);
  }
  return { width, height, rgb };
}

export interface ViewerJnlpOptions {
  codebase: string;
  jars: string[];
  nativeJars?: string[];
  mainClass?: string | undefined;
  args: string[];
  properties: Record<string, string>;
  maxHeap?: string;
}

export function testViewerJnlp(o: ViewerJnlpOptions): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  return `<?xml version="1.0" encoding="UTF-8"?>
<jnlp spec="1.0+" codebase="${esc(o.codebase)}">
  <information><title>bmc-gateway test viewer</title><vendor>bmc-gateway</vendor></information>
  <security><all-permissions/></security>
  <resources>
    <j2se version="1.8+" initial-heap-size="32m" max-heap-size="${o.maxHeap ?? '256m'}"/>
${o.jars.map((j, i) => `    <jar href="${esc(j)}"${i === 0 ? ' main="true"' : ''}/>`).join('\n')}
${Object.entries(o.properties)
  .map(([k, v]) => `    <property name="${esc(k)}" value="${esc(v)}"/>`)
  .join('\n')}
  </resources>
  <resources os="Windows"><nativelib href="windows-only.jar"/><property name="bmcgw.test.windows" value="must not apply"/></resources>
  <resources os="Linux" arch="x86_64 amd64">
${(o.nativeJars ?? []).map((j) => `    <nativelib href="${esc(j)}"/>`).join('\n')}
  </resources>
  <application-desc${o.mainClass ? ` main-class="${esc(o.mainClass)}"` : ''}>
${o.args.map((a) => `    <argument>${esc(a)}</argument>`).join('\n')}
  </application-desc>
</jnlp>
`;
}

export interface ViewerReport {
  event: string;
  [k: string]: unknown;
}

/** One running test viewer, as seen through its report connection. */
export class ViewerLink {
  readonly reports: ViewerReport[] = [];
  #buf = '';
  #waiters = new Set<() => void>();
  closed = false;

  constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.#buf += d;
      let i: number;
      while ((i = this.#buf.indexOf('\n')) >= 0) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        if (line.trim()) this.reports.push(JSON.parse(line) as ViewerReport);
      }
      for (const w of this.#waiters) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.#waiters) w();
    });
    socket.on('error', () => {});
  }

  send(command: string): void {
    this.socket.write(`${command}\n`);
  }

  /** The first report (from index `from` on) that `pred` accepts. */
  async waitFor(pred: (r: ViewerReport) => boolean, what: string, timeoutMs = 30_000, from = 0): Promise<ViewerReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.reports.slice(from).find(pred);
      if (found) return found;
      if (this.closed) throw new Error(`the test viewer disconnected before ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what} from the test viewer (got: ${this.reports.map((r) => r.event).join(', ')})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        const w = () => {
          clearTimeout(t);
          this.#waiters.delete(w);
          resolve();
        };
        this.#waiters.add(w);
      });
    }
  }

  /** What the X server shows in the viewer's window (java.awt.Robot), and the text it shows. */
  async capture(): Promise<RgbImage & { typed: string }> {
    const from = this.reports.length;
    this.send('capture');
    const r = await this.waitFor((x) => x.event === 'capture', 'a window capture', 30_000, from);
    return { width: r.width as number, height: r.height as number, rgb: Buffer.from(r.rgb as string, 'base64'), typed: r.typed as string };
  }

  typed(): string {
    return this.reports
      .filter((r) => r.event === 'typed')
      .map((r) => r.char as string)
      .join('');
  }
}

/** The TCP server test viewers report to (loopback, a port from the kernel). */
export class ViewerReportServer {
  readonly links: ViewerLink[] = [];
  #server: Server | undefined;
  #waiters = new Set<() => void>();

  async listen(): Promise<void> {
    this.#server = createServer((s) => {
      this.links.push(new ViewerLink(s));
      for (const w of this.#waiters) w();
    });
    await listenOnLoopback(this.#server);
  }

  get address(): string {
    const a = this.#server!.address() as { port: number };
    return `127.0.0.1:${a.port}`;
  }

  /** The `n`-th viewer (from 0) to connect. */
  async link(n: number, timeoutMs = 60_000): Promise<ViewerLink> {
    const deadline = Date.now() + timeoutMs;
    while (this.links.length <= n) {
      if (Date.now() > deadline) throw new Error(`test viewer #${n} never connected (${this.links.length} did)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        const w = () => {
          clearTimeout(t);
          this.#waiters.delete(w);
          resolve();
        };
        this.#waiters.add(w);
      });
    }
    return this.links[n]!;
  }

  async close(): Promise<void> {
    for (const l of this.links) l.socket.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** Opens the console `scope` URL with an RFB client and waits until it shows exactly the viewer's window. */
export async function expectConsoleShowsWindow(scope: string, link: ViewerLink): Promise<void> {
  const v = new WsRfbClient(wsUrlOf(scope));
  try {
    await v.ready();
    await expectConverges(
      () => fbImage(v.fb!),
      () => link.capture(),
      "the console vs the Java viewer's window",
    );
  } finally {
    v.close();
  }
}
