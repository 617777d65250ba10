import type { ConfigReader, Path } from '../config/reader.js';
import type { DispatchConfig } from '../config/types.js';

export const DISPATCH_DEFAULTS = Object.freeze({
  exchange: 'bmcgw',
  requestTimeoutMs: 30_000,
  prefetch: 4,
  announceIntervalMs: 5_000,
});

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Validates `dispatch:` (docs/config.md). */
export function readDispatchConfig(r: ConfigReader, path: Path, raw: unknown): DispatchConfig | undefined {
  const d = r.object(path, raw, ['amqp', 'role', 'location', 'exchange', 'requestTimeout', 'prefetch', 'announceInterval', 'agentId']);
  if (!d) return undefined;
  const amqp = r.string([...path, 'amqp'], d.amqp, { required: true });
  if (amqp !== undefined && !/^amqps?:\/\//.test(amqp)) r.problem([...path, 'amqp'], 'must be an amqp:// or amqps:// URL');
  const role = r.oneOf([...path, 'role'], d.role ?? 'front', ['front', 'agent', 'both'] as const);
  const location = r.string([...path, 'location'], d.location);
  if (location !== undefined && !NAME.test(location)) r.problem([...path, 'location'], 'may only hold letters, digits, ".", "_" and "-" (1 to 64 of them)');
  if ((role === 'agent' || role === 'both') && location === undefined) r.problem([...path, 'location'], `is required for role "${role}" (the location whose requests this agent takes)`);
  const exchange = r.string([...path, 'exchange'], d.exchange) ?? DISPATCH_DEFAULTS.exchange;
  if (!NAME.test(exchange)) r.problem([...path, 'exchange'], 'may only hold letters, digits, ".", "_" and "-" (1 to 64 of them)');
  const requestTimeoutMs = r.duration([...path, 'requestTimeout'], d.requestTimeout) ?? DISPATCH_DEFAULTS.requestTimeoutMs;
  if (requestTimeoutMs < 100) r.problem([...path, 'requestTimeout'], 'must be at least 100ms');
  const prefetch = r.integer([...path, 'prefetch'], d.prefetch, { min: 1, max: 1000 }) ?? DISPATCH_DEFAULTS.prefetch;
  const announceIntervalMs = r.duration([...path, 'announceInterval'], d.announceInterval) ?? DISPATCH_DEFAULTS.announceIntervalMs;
  if (announceIntervalMs < 100) r.problem([...path, 'announceInterval'], 'must be at least 100ms');
  const agentId = r.string([...path, 'agentId'], d.agentId);
  if (agentId !== undefined && !NAME.test(agentId)) r.problem([...path, 'agentId'], 'may only hold letters, digits, ".", "_" and "-" (1 to 64 of them)');
  if (!amqp || !role) return undefined;
  return { amqp, role, location, exchange, requestTimeoutMs, prefetch, announceIntervalMs, agentId };
}
