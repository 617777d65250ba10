import type { ConfigReader, Path } from '../config/reader.js';
import type { DispatchConfig } from '../config/types.js';
import { readKeyList, type HmacKey } from './message-auth.js';

export const DISPATCH_DEFAULTS = Object.freeze({
  exchange: 'bmcgw',
  requestTimeoutMs: 30_000,
  prefetch: 4,
  announceIntervalMs: 5_000,
  clockSkewMs: 30_000,
});

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Validates `dispatch:` (docs/config.md). `serverLocations` are the locations named in `servers[]`:
 * a front must hold a key for each (it signs what it sends there).
 */
export function readDispatchConfig(r: ConfigReader, path: Path, raw: unknown, serverLocations: readonly string[] = []): DispatchConfig | undefined {
  const d = r.object(path, raw, [
    'amqp',
    'role',
    'location',
    'exchange',
    'requestTimeout',
    'prefetch',
    'announceInterval',
    'agentId',
    'keys',
    'locationKeys',
    'clockSkew',
  ]);
  if (!d) return undefined;
  const amqp = r.string([...path, 'amqp'], d.amqp, { required: true });
  if (amqp !== undefined && !/^amqps?:\/\//.test(amqp)) r.problem([...path, 'amqp'], 'must be an amqp:// or amqps:// URL');
  const role = r.oneOf([...path, 'role'], d.role ?? 'front', ['front', 'agent', 'both'] as const);
  const location = r.string([...path, 'location'], d.location);
  if (location !== undefined && !NAME.test(location)) r.problem([...path, 'location'], 'may only hold letters, digits, ".", "_" and "-" (1 to 64 of them)');
  if ((role === 'agent' || role === 'both') && location === undefined)
    r.problem([...path, 'location'], `is required for role "${role}" (the location whose requests this agent takes)`);
  const exchange = r.string([...path, 'exchange'], d.exchange) ?? DISPATCH_DEFAULTS.exchange;
  if (!NAME.test(exchange)) r.problem([...path, 'exchange'], 'may only hold letters, digits, ".", "_" and "-" (1 to 64 of them)');
  const requestTimeoutMs = r.duration([...path, 'requestTimeout'], d.requestTimeout) ?? DISPATCH_DEFAULTS.requestTimeoutMs;
  if (requestTimeoutMs < 100) r.problem([...path, 'requestTimeout'], 'must be at least 100ms');
  const prefetch = r.integer([...path, 'prefetch'], d.prefetch, { min: 1, max: 1000 }) ?? DISPATCH_DEFAULTS.prefetch;
  const announceIntervalMs = r.duration([...path, 'announceInterval'], d.announceInterval) ?? DISPATCH_DEFAULTS.announceIntervalMs;
  if (announceIntervalMs < 100) r.problem([...path, 'announceInterval'], 'must be at least 100ms');
  const agentId = r.string([...path, 'agentId'], d.agentId);
  if (agentId !== undefined && !NAME.test(agentId)) r.problem([...path, 'agentId'], 'may only hold letters, digits, ".", "_" and "-" (1 to 64 of them)');
  const shared = d.keys === undefined ? [] : readKeyList(r, [...path, 'keys'], d.keys);
  const byLocation: Record<string, HmacKey[]> = {};
  if (d.locationKeys !== undefined) {
    const lk = r.object([...path, 'locationKeys'], d.locationKeys, Object.keys(d.locationKeys ?? {}));
    for (const [loc, list] of Object.entries(lk ?? {})) {
      if (!NAME.test(loc)) r.problem([...path, 'locationKeys', loc], 'is not a location name (letters, digits, ".", "_" and "-")');
      byLocation[loc] = readKeyList(r, [...path, 'locationKeys', loc], list);
    }
  }
  const hasKeys = (loc: string) => (byLocation[loc] ?? shared).length > 0;
  if (d.keys === undefined && d.locationKeys === undefined) {
    r.problem(
      [...path, 'keys'],
      'is required: every dispatch message is signed (HMAC), e.g. keys: [{ id: "k1", secret: "<output of openssl rand -base64 32>" }]',
    );
  } else {
    if ((role === 'agent' || role === 'both') && location !== undefined && !hasKeys(location))
      r.problem([...path, 'locationKeys', location], `no key for this agent's location "${location}" (in locationKeys or keys)`);
    if (role === 'front' || role === 'both') {
      for (const loc of new Set(serverLocations))
        if (!hasKeys(loc))
          r.problem(
            [...path, 'locationKeys', loc],
            `no key for location "${loc}" of servers[] (in locationKeys or keys): the front could not sign requests for it`,
          );
    }
  }
  const clockSkewMs = r.duration([...path, 'clockSkew'], d.clockSkew) ?? DISPATCH_DEFAULTS.clockSkewMs;
  if (!amqp || !role) return undefined;
  return { amqp, role, location, exchange, requestTimeoutMs, prefetch, announceIntervalMs, agentId, keys: { shared, byLocation }, clockSkewMs };
}
