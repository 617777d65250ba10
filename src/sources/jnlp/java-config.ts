import type { ConfigReader, Path } from '../../config/reader.js';
import { parseByteSize } from '../../config/size.js';

/**
 * `java:` — how vendors' Java viewers run (the `jnlp` console type and `fallback: jnlp` on aten
 * consoles). Needed only when some console uses them; every key has a default. docs/config.md.
 */
export interface JavaConfig {
  /** `docker`: a container per console through the Docker Engine API; `process`: child processes. */
  runtime: 'docker' | 'process';
  docker: {
    /** The Docker Engine API's unix socket. */
    socket: string;
    /** Built from containers/java-viewer/Dockerfile (`npm run build:images`). */
    image: string;
    /** Memory limit of each container (also its swap limit: no swap). */
    memoryBytes: number;
    /** CPU limit of each container, in CPUs. */
    cpus: number;
  };
  process: {
    /** When the gateway runs as root, the viewers run as this user. */
    user: string;
  };
  /** Concurrent Java consoles; past it GW_ERR_TOO_MANY_JAVA_SESSIONS. */
  maxSessions: number;
  /** From the session's start until the viewer's window shows a picture; past it GW_ERR_BMC_TIMEOUT. */
  startTimeoutMs: number;
  /**
   * Names this gateway's sandboxes (a container label, the process runtime's work folder) so that at
   * start it removes what an earlier run of itself left, and never another gateway's. Default: host
   * name + listen address, stable across restarts of one gateway on one host.
   */
  instanceId: string | undefined;
  jarCache: {
    /** Default: $XDG_CACHE_HOME/bmc-gateway/jars, ~/.cache/bmc-gateway/jars, or /var/cache/bmc-gateway/jars as root. */
    dir: string | undefined;
    maxBytes: number;
  };
}

export const JAVA_DEFAULTS = Object.freeze({
  socket: '/var/run/docker.sock',
  image: 'bmc-gateway-java:1',
  memoryBytes: 768 * 1024 ** 2,
  cpus: 1,
  processUser: 'nobody',
  maxSessions: 20,
  startTimeoutMs: 60_000,
  jarCacheMaxBytes: 512 * 1024 ** 2,
});

/** Validates `java:`; absent, every default applies. */
export function readJavaConfig(r: ConfigReader, path: Path, raw: unknown): JavaConfig {
  const j = raw === undefined ? {} : (r.object(path, raw, ['runtime', 'docker', 'process', 'maxSessions', 'startTimeout', 'instanceId', 'jarCache']) ?? {});
  const d = j.docker === undefined ? {} : (r.object([...path, 'docker'], j.docker, ['socket', 'image', 'memory', 'cpus']) ?? {});
  const p = j.process === undefined ? {} : (r.object([...path, 'process'], j.process, ['user']) ?? {});
  const c = j.jarCache === undefined ? {} : (r.object([...path, 'jarCache'], j.jarCache, ['dir', 'maxSize']) ?? {});
  const size = (key: Path, v: unknown, min: number): number | undefined => {
    if (v === undefined || v === null) return undefined;
    const n = parseByteSize(v);
    if (n === undefined || n < min) {
      r.problem(key, `must be a size such as "768m" or "1g" of at least ${min} bytes, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return n;
  };
  let cpus: number | undefined;
  if (d.cpus !== undefined) {
    if (typeof d.cpus !== 'number' || !(d.cpus >= 0.01 && d.cpus <= 64))
      r.problem([...path, 'docker', 'cpus'], `must be a number of CPUs between 0.01 and 64, got ${JSON.stringify(d.cpus)}`);
    else cpus = d.cpus;
  }
  const instanceId = r.string([...path, 'instanceId'], j.instanceId);
  if (instanceId !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(instanceId))
    r.problem([...path, 'instanceId'], 'may only hold letters, digits, ".", "_" and "-" (1 to 64 of them)');
  const user = r.string([...path, 'process', 'user'], p.user);
  if (user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}\$?$|^\d{1,10}$/.test(user))
    r.problem([...path, 'process', 'user'], `is not a user name or uid: "${user}"`);
  return {
    runtime: r.oneOf([...path, 'runtime'], j.runtime, ['docker', 'process'] as const) ?? 'docker',
    docker: {
      socket: r.string([...path, 'docker', 'socket'], d.socket) ?? JAVA_DEFAULTS.socket,
      image: r.string([...path, 'docker', 'image'], d.image) ?? JAVA_DEFAULTS.image,
      memoryBytes: size([...path, 'docker', 'memory'], d.memory, 64 * 1024 ** 2) ?? JAVA_DEFAULTS.memoryBytes,
      cpus: cpus ?? JAVA_DEFAULTS.cpus,
    },
    process: { user: user ?? JAVA_DEFAULTS.processUser },
    maxSessions: r.integer([...path, 'maxSessions'], j.maxSessions, { min: 1, max: 10_000 }) ?? JAVA_DEFAULTS.maxSessions,
    startTimeoutMs: r.duration([...path, 'startTimeout'], j.startTimeout) ?? JAVA_DEFAULTS.startTimeoutMs,
    instanceId,
    jarCache: {
      dir: r.string([...path, 'jarCache', 'dir'], c.dir),
      maxBytes: size([...path, 'jarCache', 'maxSize'], c.maxSize, 1024 ** 2) ?? JAVA_DEFAULTS.jarCacheMaxBytes,
    },
  };
}
