import { randomBytes, randomInt } from 'node:crypto';
import type { SessionsConfig } from '../../config/types.js';
import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { forwardingSink } from '../forwarding-sink.js';
import type { InputEvent, Source, SourceSink } from '../types.js';
import { VncSource } from '../vnc/vnc-source.js';
import type { JavaViewers } from './java-viewers.js';
import type { JnlpOrigin } from './jnlp-config.js';
import { openJnlpOrigin, type JnlpOriginClient } from './jnlp-fetch.js';
import { launchFiles } from './launch-files.js';
import { prepareLaunch } from './prepare-launch.js';
import type { Sandbox } from './sandbox.js';

/** Xvfb's screen in every sandbox: the most a viewer's window can grow to (12 MiB of framebuffer). */
export const SANDBOX_SCREEN = '2048x1536x24';
/** Headroom for Xvfb, x11vnc and the JVM's own memory when the heap is bounded by the container's limit. */
const NON_HEAP_BYTES = 256 * 1024 * 1024;

export interface JnlpSourceOptions {
  serverId: string;
  origin: JnlpOrigin;
  java: JavaViewers;
  sessions: Pick<SessionsConfig, 'reconnectBudgetMs'>;
  /** Secrets to keep out of logs and end reasons besides the JNLP's own arguments (the BMC password). */
  secrets: readonly string[];
}

/**
 * The `jnlp` source: a vendor's Java viewer in a sandbox (docker-runtime.ts / process-runtime.ts),
 * seen through its x11vnc by the same RFB client as a `vnc` console, so everything downstream
 * (pooling, view-only, recording, thumbnails, reaping, close URLs) is unchanged.
 *
 * Per session: take a java.maxSessions place, fetch the JNLP (URL or web login), its jars (cached),
 * start the sandbox with the session files, wait for the viewer's window and x11vnc, then run a
 * VncSource against it. The whole start is bounded by java.startTimeout (GW_ERR_BMC_TIMEOUT). When
 * the viewer exits or crashes the session fails with that reason (GW_ERR_JAVA_VIEWER_EXITED); the
 * sandbox is removed when the session ends, whatever ended it.
 */
export class JnlpSource implements Source {
  readonly kind = 'jnlp';
  readonly #o: JnlpSourceOptions;
  readonly #log: Logger;
  readonly #sandboxId = randomBytes(6).toString('hex');
  #sink: SourceSink | undefined;
  #closed = false;
  #failed = false;
  #release: (() => void) | undefined;
  #startTimer: NodeJS.Timeout | undefined;
  #origin: JnlpOriginClient | undefined;
  #sandbox: Sandbox | undefined;
  /** The sandbox start under way, if any: a cleanup meanwhile waits for it and removes what it made. */
  #starting: Promise<Sandbox> | undefined;
  #vnc: VncSource | undefined;
  #secrets: string[];

  constructor(opts: JnlpSourceOptions, log: Logger) {
    this.#o = opts;
    this.#secrets = opts.secrets.filter((s) => s.length > 0);
    this.#log = log.child({ source: 'jnlp', sandbox: this.#sandboxId });
  }

  start(sink: SourceSink): void {
    this.#sink = sink;
    void this.#run();
  }

  input(ev: InputEvent): void {
    this.#vnc?.input(ev);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#cleanup();
  }

  async #run(): Promise<void> {
    const java = this.#o.java;
    try {
      this.#release = java.acquire();
    } catch (e) {
      return this.#fail(e as Error);
    }
    const ms = java.config.startTimeoutMs;
    this.#startTimer = setTimeout(
      () => this.#fail(new GatewayError('GW_ERR_BMC_TIMEOUT', `the Java viewer did not show a picture within ${ms} ms (java.startTimeout)`)),
      ms,
    );
    try {
      await java.runtime.check();
      const t0 = Date.now();
      this.#origin = await openJnlpOrigin(this.#o.origin);
      if (this.#closed || this.#failed) return this.#cleanup();
      const prepared = await prepareLaunch(this.#origin, java.jars);
      if (this.#closed || this.#failed) return this.#cleanup();
      // The JNLP's arguments and properties may hold credentials (some vendors put the BMC's user and
      // password there): they are redacted from anything logged or shown.
      this.#secrets.push(...prepared.doc.arguments.filter((a) => a.length >= 4), ...prepared.doc.properties.map(([, v]) => v).filter((v) => v.length >= 4));
      const dir = java.runtime.sessionDir(this.#sandboxId);
      const heap = java.runtime.kind === 'docker' ? Math.max(64 * 1024 ** 2, java.config.docker.memoryBytes - NON_HEAP_BYTES) : undefined;
      const launch = launchFiles({ ...prepared, dir, maxHeapBytes: heap });
      this.#log.info(
        {
          event: 'jnlp-prepared',
          title: prepared.doc.title,
          mainClass: prepared.mainClass,
          jars: prepared.jars.length,
          cachedJars: prepared.cachedJars,
          nativeLibraries: prepared.nativeLibraries.length,
          ms: Date.now() - t0,
        },
        'JNLP read, jars ready',
      );
      this.#starting = java.runtime.start({
        id: this.#sandboxId,
        sessionId: this.#sink!.sessionId ?? '',
        serverId: this.#o.serverId,
        files: launch.files,
        screen: SANDBOX_SCREEN,
        portFrom: randomInt(20_000, 50_000),
      });
      const sandbox = await this.#starting;
      this.#sandbox = sandbox;
      if (this.#closed || this.#failed) return; // #cleanup waited for this start and removes it
      void sandbox.ended.then((end) => {
        const last = this.#lastLine(sandbox.output());
        this.#fail(new GatewayError('GW_ERR_JAVA_VIEWER_EXITED', `${end.reason}${last ? ` (${last})` : ''}`));
      });
      const at = await sandbox.ready.catch((e: Error) => {
        const last = this.#lastLine(sandbox.output());
        throw e instanceof GatewayError && last ? new GatewayError(e.code, `${e.message} (${last})`, { cause: e }) : e;
      });
      if (this.#closed || this.#failed) return;
      this.#log.info({ event: 'java-viewer-ready', port: at.port, window: at.window, ms: Date.now() - t0 }, 'Java viewer window shown');
      this.#vnc = new VncSource(
        // x11vnc on loopback with VNC Authentication; no TLS to ask for on 127.0.0.1.
        {
          type: 'vnc',
          host: at.host,
          port: at.port,
          password: launch.vncPassword,
          shared: true,
          connectTimeoutMs: 10_000,
          encodings: [],
          tls: 'off',
          insecureTls: false,
          legacyTls: false,
          ca: undefined,
          user: undefined,
        },
        this.#log,
        this.#o.sessions,
      );
      this.#vnc.start(this.#proxy(this.#sink!));
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  /** The session's sink, except that the start clock stops at the first picture and a failure ends the sandbox too. */
  #proxy(sink: SourceSink): SourceSink {
    return forwardingSink(sink, {
      connected: (info) => {
        if (this.#startTimer) clearTimeout(this.#startTimer);
        this.#startTimer = undefined;
        sink.connected(info);
      },
      failed: (err) => this.#fail(err),
    });
  }

  #fail(err: Error): void {
    if (this.#closed || this.#failed) return;
    this.#failed = true;
    this.#log.warn({ event: 'jnlp-failed', code: (err as GatewayError).code, err: this.redact(err.message) }, 'Java console failed');
    this.#cleanup();
    this.#sink!.failed(err instanceof GatewayError ? new GatewayError(err.code, this.redact(err.message), { cause: err }) : err);
  }

  #cleanup(): void {
    if (this.#startTimer) clearTimeout(this.#startTimer);
    this.#startTimer = undefined;
    this.#vnc?.close();
    this.#vnc = undefined;
    const sandbox = this.#sandbox;
    const starting = this.#starting;
    const origin = this.#origin;
    const release = this.#release;
    this.#sandbox = undefined;
    this.#origin = undefined;
    this.#release = undefined;
    // Remove the sandbox first and give back its java.maxSessions place, then end the web session
    // (a web logout can end the viewer's KVM session on the BMC).
    void (async () => {
      const sb = sandbox ?? (await starting?.catch(() => undefined));
      if (sb) await this.#o.java.stop(sb);
      release?.();
      await origin?.close().catch(() => {});
    })();
  }

  /** The viewer's last output line that is not a stack frame, redacted, shortened: why it exited, for the page and the log. */
  #lastLine(output: string): string {
    const lines = output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !/^(at |\.\.\. \d+ more|Caused by: )/.test(l));
    this.#log.debug({ event: 'java-viewer-output', output: this.redact(output) }, "the Java viewer's last output");
    const last = lines[lines.length - 1];
    return last === undefined ? '' : this.redact(last).slice(0, 300);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.#secrets) out = out.split(s).join('***');
    return out;
  }
}
