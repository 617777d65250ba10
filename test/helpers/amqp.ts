import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { requirePeer } from './require-peer.js';

const run = promisify(execFile);

/**
 * The machine's RabbitMQ (127.0.0.1:5672, guest/guest), driven through `rabbitmqctl`. Each test file
 * works in a vhost of its own, so runs in parallel (or a crashed earlier run) share no queue.
 */
export class RabbitVhost {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }

  /** amqp:// URL of this vhost. */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(this.name)}`;
  }

  static async create(prefix = 'bmcgw-test'): Promise<RabbitVhost> {
    const ctl = requirePeer('rabbitmqctl', 'rabbitmq-server');
    const name = `${prefix}-${randomBytes(4).toString('hex')}`;
    await run(ctl, ['add_vhost', name], { timeout: 30_000 });
    await run(ctl, ['set_permissions', '-p', name, 'guest', '.*', '.*', '.*'], { timeout: 30_000 });
    return new RabbitVhost(name);
  }

  async delete(): Promise<void> {
    await run(requirePeer('rabbitmqctl', 'rabbitmq-server'), ['delete_vhost', this.name], { timeout: 30_000 });
  }

  /** Queue name → [messages ready, consumers], from `rabbitmqctl list_queues`. */
  async queues(): Promise<Map<string, { messages: number; consumers: number }>> {
    const { stdout } = await run(
      requirePeer('rabbitmqctl', 'rabbitmq-server'),
      ['list_queues', '-p', this.name, '-q', '--no-table-headers', 'name', 'messages', 'consumers'],
      { timeout: 30_000 },
    );
    const out = new Map<string, { messages: number; consumers: number }>();
    for (const line of stdout.split('\n')) {
      const [name, messages, consumers] = line.trim().split(/\s+/);
      if (name && messages !== undefined) out.set(name, { messages: Number(messages), consumers: Number(consumers) });
    }
    return out;
  }

  /** Publishes one raw message (as a second front, or a duplicate delivery, would). */
  async publish(exchange: string, routingKey: string, body: unknown, props: Record<string, unknown>): Promise<void> {
    const conn = await connect(this.url);
    try {
      const ch = await conn.createConfirmChannel();
      ch.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)), props);
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
  }
}

/** Stops the broker application (connections drop, the Erlang node stays up). */
export async function rabbitStopApp(): Promise<void> {
  await run(requirePeer('rabbitmqctl', 'rabbitmq-server'), ['stop_app'], { timeout: 60_000 });
}

export async function rabbitStartApp(): Promise<void> {
  await run(requirePeer('rabbitmqctl', 'rabbitmq-server'), ['start_app'], { timeout: 60_000 });
}

/** Throws (naming the package) unless a broker answers on 127.0.0.1:5672. */
export async function requireRabbit(): Promise<void> {
  requirePeer('rabbitmqctl', 'rabbitmq-server');
  try {
    const c = await connect('amqp://guest:guest@127.0.0.1:5672/', { timeout: 5_000 });
    await c.close();
  } catch (err) {
    throw new Error(
      `RabbitMQ is not answering on 127.0.0.1:5672 (Debian rabbitmq-server; start it with "rabbitmq-server -detached"): ${(err as Error).message}`,
    );
  }
}
