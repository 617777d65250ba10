import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { tarChunks } from '../../util/tar.js';
import { DockerApi, DockerApiError, DockerStreamDemux } from './docker-api.js';
import type { JavaConfig } from './java-config.js';
import type { Sandbox, SandboxRuntime, SandboxSpec } from './sandbox.js';
import { ScriptSandbox } from './script-sandbox.js';

/** Labels on every sandbox container: which gateway instance, session and server it belongs to. */
export const LABEL_INSTANCE = 'org.bmc-gateway.instance';
export const LABEL_SESSION = 'org.bmc-gateway.session';
export const LABEL_SERVER = 'org.bmc-gateway.server';
export const LABEL_SANDBOX = 'org.bmc-gateway.sandbox';
/** Set by containers/build-images.sh: the hash of containers/java-viewer's files. */
export const LABEL_CONTEXT_HASH = 'org.bmc-gateway.context-hash';

/** Where the session files are unpacked inside the container (on its /tmp tmpfs). */
const SESSION_DIR = '/tmp/viewer';

/**
 * `java.runtime: docker`: one container per console from the image built from
 * containers/java-viewer/Dockerfile, through the Docker Engine API.
 *
 * The container runs as the image's unprivileged user, with every capability dropped,
 * no-new-privileges, a read-only root file system and a tmpfs on /tmp for what a session writes,
 * memory (no swap), CPU and pids limits, no log driver (the viewer's output may hold its
 * arguments). It uses the host's network (engines here run with --bridge=none; the viewer must
 * reach the BMC network as the gateway does) and publishes nothing: x11vnc listens on 127.0.0.1
 * with the session's password. The session files go in over stdin as a tar stream, so neither the
 * command line nor `docker inspect` shows the JNLP's arguments, the x11vnc password or the X cookie.
 */
export class DockerRuntime implements SandboxRuntime {
  readonly kind = 'docker';
  readonly api: DockerApi;
  readonly #cfg: JavaConfig['docker'];
  readonly #instanceId: string;
  readonly #log: Logger;
  #checkedAt = 0;

  constructor(cfg: JavaConfig['docker'], instanceId: string, log: Logger) {
    this.#cfg = cfg;
    this.#instanceId = instanceId;
    this.#log = log.child({ component: 'java-docker' });
    this.api = new DockerApi(cfg.socket);
  }

  sessionDir(): string {
    return SESSION_DIR;
  }

  async check(): Promise<void> {
    if (Date.now() - this.#checkedAt < 10_000) return;
    let labels: Record<string, string> | undefined;
    try {
      await this.api.ping();
      labels = await this.api.imageLabels(this.#cfg.image);
    } catch (e) {
      throw new GatewayError('GW_ERR_JAVA_UNAVAILABLE', `Java viewers cannot run: ${(e as Error).message} (java.docker.socket)`, { cause: e });
    }
    if (labels === undefined) {
      throw new GatewayError(
        'GW_ERR_JAVA_UNAVAILABLE',
        `Java viewers cannot run: the Docker engine has no image "${this.#cfg.image}" (java.docker.image); build it with npm run build:images, or docker build -t ${this.#cfg.image} containers/java-viewer`,
      );
    }
    this.#checkedAt = Date.now();
  }

  async start(spec: SandboxSpec): Promise<Sandbox> {
    await this.check();
    const cfg = this.#cfg;
    const id = await this.#create(spec);
    const sandbox = new ScriptSandbox('127.0.0.1', () => this.api.remove(id));
    try {
      const io = await this.api.attach(id);
      const demux = new DockerStreamDemux((stream, payload) => (stream === 'stdout' ? sandbox.stdout(payload) : sandbox.stderr(payload)));
      io.on('data', (c: Buffer) => demux.push(c));
      io.on('error', () => {});
      void sandbox.ended.then(() => io.destroy());
      await this.api.start(id);
      for (const chunk of tarChunks(spec.files)) io.write(chunk);
      io.end(); // stdin EOF: the script has its files
      this.api.wait(id).then(
        (code) => sandbox.exited(code),
        (e: Error) => sandbox.exited(undefined, `lost the Docker engine: ${e.message}`),
      );
    } catch (e) {
      await sandbox.stop().catch(() => {});
      throw new GatewayError('GW_ERR_JAVA_UNAVAILABLE', `cannot start the Java sandbox container: ${(e as Error).message}`, { cause: e });
    }
    this.#log.info(
      { event: 'java-container-started', container: id.slice(0, 12), sandbox: spec.id, server: spec.serverId, image: cfg.image },
      'Java sandbox container started',
    );
    return sandbox;
  }

  async #create(spec: SandboxSpec): Promise<string> {
    const cfg = this.#cfg;
    try {
      return await this.api.create(`bmcgw-java-${spec.id}`, {
        Image: cfg.image,
        Cmd: ['--screen', spec.screen, '--port-from', String(spec.portFrom)],
        Labels: { [LABEL_INSTANCE]: this.#instanceId, [LABEL_SESSION]: spec.sessionId, [LABEL_SERVER]: spec.serverId, [LABEL_SANDBOX]: spec.id },
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        OpenStdin: true,
        StdinOnce: true,
        Tty: false,
        Env: ['LANG=C.UTF-8'],
        HostConfig: {
          NetworkMode: 'host',
          ReadonlyRootfs: true,
          // exec: the viewer's native libraries (nativelib jars) are loaded from here.
          Tmpfs: { '/tmp': 'rw,exec,nosuid,nodev,size=256m,mode=1777' },
          Memory: cfg.memoryBytes,
          MemorySwap: cfg.memoryBytes,
          NanoCpus: Math.round(cfg.cpus * 1e9),
          PidsLimit: 512,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          Privileged: false,
          IpcMode: 'private',
          RestartPolicy: { Name: 'no' },
          LogConfig: { Type: 'none', Config: {} },
        },
      });
    } catch (e) {
      if (e instanceof DockerApiError)
        throw new GatewayError('GW_ERR_JAVA_UNAVAILABLE', `cannot create the Java sandbox container: ${e.message}`, { cause: e });
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.api.close();
  }

  async removeLeftovers(): Promise<number> {
    const left = await this.api.list(`${LABEL_INSTANCE}=${this.#instanceId}`);
    for (const c of left) {
      await this.api.remove(c.Id);
      this.#log.warn(
        { event: 'java-container-leftover', container: c.Id.slice(0, 12), session: c.Labels[LABEL_SESSION], server: c.Labels[LABEL_SERVER] },
        'removed a Java sandbox container left by an earlier run',
      );
    }
    return left.length;
  }
}
