import { hostname, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigReader } from '../../config/reader.js';
import type { ConsoleConfig, GatewayConfig } from '../../config/types.js';
import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { DockerRuntime } from './docker-runtime.js';
import { JarCache } from './jar-cache.js';
import { readJavaConfig, type JavaConfig } from './java-config.js';
import { ProcessRuntime } from './process-runtime.js';
import type { Sandbox, SandboxRuntime } from './sandbox.js';

/**
 * The gateway's Java viewers: one per process, built by the composition root when some console
 * needs Java. Holds the runtime, the jar cache, the count of running viewers (java.maxSessions) and
 * the sandboxes being stopped (shutdown waits for them). At start it removes what an earlier run of
 * this same instance left behind (a gateway killed with SIGKILL).
 */
export class JavaViewers {
  readonly config: JavaConfig;
  readonly runtime: SandboxRuntime;
  readonly jars: JarCache;
  readonly instanceId: string;
  readonly #log: Logger;
  #running = 0;
  readonly #stopping = new Set<Promise<void>>();

  constructor(config: JavaConfig, listen: { host: string; port: number }, log: Logger) {
    this.config = config;
    this.#log = log.child({ component: 'java' });
    this.instanceId = config.instanceId ?? defaultInstanceId(listen);
    this.runtime =
      config.runtime === 'docker'
        ? new DockerRuntime(config.docker, this.instanceId, log)
        : new ProcessRuntime(config.process, join(tmpdir(), `bmc-gateway-java-${this.instanceId}`), log);
    this.jars = new JarCache({ dir: config.jarCache.dir ?? defaultCacheDir(), maxBytes: config.jarCache.maxBytes, log });
  }

  /** Removes this instance's leftovers; a runtime that is not there is only logged (consoles will say so). */
  async start(): Promise<void> {
    try {
      const n = await this.runtime.removeLeftovers();
      if (n > 0) this.#log.warn({ event: 'java-leftovers-removed', count: n, instance: this.instanceId }, 'removed Java sandboxes of an earlier run');
    } catch (e) {
      this.#log.warn({ event: 'java-unavailable', err: (e as Error).message, runtime: this.runtime.kind }, 'cannot look for Java sandboxes of an earlier run');
    }
    try {
      await this.runtime.check();
    } catch (e) {
      this.#log.warn({ event: 'java-unavailable', err: (e as Error).message, runtime: this.runtime.kind }, 'Java consoles cannot open until this is fixed');
    }
  }

  /** Takes one of java.maxSessions places; call the returned function once the sandbox is gone. */
  acquire(): () => void {
    if (this.#running >= this.config.maxSessions) {
      throw new GatewayError(
        'GW_ERR_TOO_MANY_JAVA_SESSIONS',
        `the gateway already runs its maximum of ${this.config.maxSessions} Java viewers (java.maxSessions)`,
      );
    }
    this.#running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
    };
  }

  get running(): number {
    return this.#running;
  }

  /** Stops a sandbox; shutdown waits for every stop still under way. */
  stop(sandbox: Sandbox): Promise<void> {
    const p = sandbox.stop().catch((e: Error) => this.#log.warn({ event: 'java-stop-failed', err: e.message }, 'could not remove a Java sandbox'));
    this.#stopping.add(p);
    void p.finally(() => this.#stopping.delete(p));
    return p;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#stopping]);
    await this.runtime.close();
  }
}

/** Consoles that may run a Java viewer: `jnlp`, and `aten` with `fallback: jnlp`. */
export function usesJava(c: ConsoleConfig | undefined): boolean {
  return c?.type === 'jnlp' || (c?.type === 'aten' && c.fallback === 'jnlp');
}

export function needsJava(config: GatewayConfig): boolean {
  return config.servers.some((s) => usesJava(s.console));
}

/** What `check-config` warns about: undefined when Java viewers can run, else why not. */
export async function javaProblem(config: GatewayConfig, log: Logger): Promise<string | undefined> {
  if (!needsJava(config)) return undefined;
  const java = new JavaViewers(config.java ?? defaultJavaConfig(), config.listen, log);
  try {
    await java.runtime.check();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await java.close();
  }
}

/** Host name and listen address: unique among gateways on one host, the same after a restart. */
export function defaultInstanceId(listen: { host: string; port: number }): string {
  return `${hostname()}-${listen.host}-${listen.port}`.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
}

function defaultCacheDir(): string {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return '/var/cache/bmc-gateway/jars';
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'bmc-gateway', 'jars');
}

/** Every default of `java:` (what an absent block means). */
export function defaultJavaConfig(): JavaConfig {
  return readJavaConfig(new ConfigReader(), ['java'], undefined);
}
