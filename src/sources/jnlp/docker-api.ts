import type { Duplex } from 'node:stream';
import { Client, Pool } from 'undici';

/**
 * The few Docker Engine API calls the docker runtime needs (API v1.41, Docker 20.10 and later:
 * https://docs.docker.com/engine/api/v1.41/), over the engine's unix socket with undici.
 */
export const DOCKER_API = '/v1.41';

export class DockerApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'DockerApiError';
  }
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State: string;
}

export class DockerApi {
  /** Short calls share a few connections; a call that holds its connection (wait, attach) gets its own. */
  readonly #pool: Pool;
  readonly socketPath: string;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    this.#pool = new Pool('http://docker', { socketPath, connections: 4, connect: { timeout: 5000 } });
  }

  #ownClient(): Client {
    return new Client('http://docker', { socketPath: this.socketPath, connect: { timeout: 5000 } });
  }

  async #call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    timeoutMs = 30_000,
    via: Pool | Client = this.#pool,
  ): Promise<{ status: number; json: T | undefined }> {
    let res;
    try {
      res = await via.request({
        method,
        path: DOCKER_API + path,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DockerApiError(`the Docker engine at ${this.socketPath} does not answer: ${code ?? (e as Error).message}`, undefined, code);
    }
    const text = await res.body.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.statusCode >= 400) {
      const message = (json as { message?: string } | undefined)?.message ?? text.slice(0, 200);
      throw new DockerApiError(`Docker ${method} ${path.split('?')[0]}: HTTP ${res.statusCode}: ${message}`, res.statusCode, undefined);
    }
    return { status: res.statusCode, json: json as T };
  }

  async ping(): Promise<void> {
    await this.#call('GET', '/_ping', undefined, 5000);
  }

  /** The image's labels, or undefined when there is no such image. */
  async imageLabels(name: string): Promise<Record<string, string> | undefined> {
    try {
      const { json } = await this.#call<{ Config?: { Labels?: Record<string, string> | null } }>('GET', `/images/${encodeURIComponent(name)}/json`);
      return json?.Config?.Labels ?? {};
    } catch (e) {
      if (e instanceof DockerApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  async create(name: string, body: Record<string, unknown>): Promise<string> {
    const { json } = await this.#call<{ Id: string }>('POST', `/containers/create?name=${encodeURIComponent(name)}`, body);
    if (!json?.Id) throw new DockerApiError('Docker create: no container id in the answer', undefined, undefined);
    return json.Id;
  }

  /** stdin, stdout and stderr of a container (created with OpenStdin), hijacked; stdout/stderr are multiplexed (DockerStreamDemux). */
  async attach(id: string): Promise<Duplex> {
    const client = this.#ownClient();
    try {
      const { socket } = await client.upgrade({
        method: 'POST',
        path: `${DOCKER_API}/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`,
        protocol: 'tcp',
      });
      socket.once('close', () => void client.close().catch(() => {}));
      return socket;
    } catch (e) {
      await client.close().catch(() => {});
      throw e;
    }
  }

  async start(id: string): Promise<void> {
    await this.#call('POST', `/containers/${id}/start`);
  }

  /** Waits until the container stops; its exit code. */
  async wait(id: string): Promise<number> {
    const client = this.#ownClient();
    try {
      const { json } = await this.#call<{ StatusCode: number }>('POST', `/containers/${id}/wait`, undefined, 0, client);
      return json?.StatusCode ?? -1;
    } finally {
      await client.close().catch(() => {});
    }
  }

  /** Kills and removes a container with its anonymous volumes; a container already gone is fine. */
  async remove(id: string): Promise<void> {
    try {
      await this.#call('DELETE', `/containers/${id}?force=1&v=1`);
    } catch (e) {
      if (e instanceof DockerApiError && e.status === 404) return;
      throw e;
    }
  }

  async list(label: string): Promise<ContainerSummary[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    const { json } = await this.#call<ContainerSummary[]>('GET', `/containers/json?all=1&filters=${filters}`);
    return json ?? [];
  }

  /** `docker inspect`: the container's settings and state. */
  async inspect(id: string): Promise<Record<string, unknown>> {
    const { json } = await this.#call<Record<string, unknown>>('GET', `/containers/${id}/json`);
    return json ?? {};
  }

  /** The container's memory use (cgroup), for the benchmark. */
  async memoryUsage(id: string): Promise<number | undefined> {
    const { json } = await this.#call<{ memory_stats?: { usage?: number; stats?: { inactive_file?: number; total_inactive_file?: number } } }>(
      'GET',
      `/containers/${id}/stats?stream=false`,
    );
    const m = json?.memory_stats;
    if (m?.usage === undefined) return undefined;
    return m.usage - (m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? 0);
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => {});
  }
}

/**
 * The attach stream of a container without a TTY: frames of an 8-byte header (stream 1 = stdout,
 * 2 = stderr, then three zero bytes and a big-endian u32 length) and the payload (API docs,
 * "Attach to a container", "Stream format").
 */
export class DockerStreamDemux {
  #buf: Buffer = Buffer.alloc(0);
  constructor(readonly onFrame: (stream: 'stdout' | 'stderr', payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    while (this.#buf.length >= 8) {
      const size = this.#buf.readUInt32BE(4);
      if (this.#buf.length < 8 + size) return;
      const type = this.#buf[0];
      const payload = this.#buf.subarray(8, 8 + size);
      this.#buf = this.#buf.subarray(8 + size);
      if (type === 1 || type === 2) this.onFrame(type === 1 ? 'stdout' : 'stderr', payload);
    }
  }
}
