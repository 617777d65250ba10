import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ConfigReader, Path } from '../config/reader.js';

/** One HMAC key: `id` travels with every message so the receiver knows which key to check with. */
export interface HmacKey {
  id: string;
  secret: string;
}

/** The keys of `dispatch.keys` (every location) and `dispatch.locationKeys` (one location's). */
export interface DispatchKeysConfig {
  shared: readonly HmacKey[];
  byLocation: Readonly<Record<string, readonly HmacKey[]>>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;
/** 32 characters: e.g. `openssl rand -base64 32` gives 44. */
export const MIN_SECRET_CHARS = 32;

export function readKeyList(r: ConfigReader, path: Path, raw: unknown): HmacKey[] {
  const list = r.array(path, raw) ?? [];
  if (list.length === 0) r.problem(path, 'must list at least one key { id, secret }');
  if (list.length > 2) r.problem(path, 'holds at most two keys (the current one first, the one being retired second)');
  const keys: HmacKey[] = [];
  list.forEach((k, i) => {
    const o = r.object([...path, i], k, ['id', 'secret']);
    const id = r.string([...path, i, 'id'], o?.id, { required: true });
    const secret = r.string([...path, i, 'secret'], o?.secret, { required: true });
    if (id !== undefined && !KEY_ID.test(id)) r.problem([...path, i, 'id'], 'may only hold letters, digits, ".", "_" and "-" (1 to 32 of them)');
    if (secret !== undefined && secret.length < MIN_SECRET_CHARS)
      r.problem([...path, i, 'secret'], `must be at least ${MIN_SECRET_CHARS} characters (e.g. the output of: openssl rand -base64 32)`);
    if (id && secret) keys.push({ id, secret });
  });
  if (keys.length === 2 && keys[0]!.id === keys[1]!.id) r.problem(path, 'the two keys need different ids');
  return keys;
}

/** Which keys sign and verify messages of a location: its own list when it has one, else the shared one. */
export class DispatchKeys {
  readonly #cfg: DispatchKeysConfig;
  constructor(cfg: DispatchKeysConfig) {
    this.#cfg = cfg;
  }

  /** The keys of `location` (the first signs; any verifies); empty when the config has none for it. */
  of(location: string): readonly HmacKey[] {
    return this.#cfg.byLocation[location] ?? this.#cfg.shared;
  }
}

/** AMQP message headers that carry the authentication. */
export const AUTH_HEADERS = { keyId: 'x-bmcgw-key', timestamp: 'x-bmcgw-ts', signature: 'x-bmcgw-sig' } as const;

/**
 * What a signature covers besides the body: the message's kind, where it was published (exchange and
 * routing key, so a message cannot be re-routed to another location or agent), who is to answer it
 * (reply queue, correlation id: an answer cannot be diverted), the request id and the time.
 */
export interface SignedEnvelope {
  type: string;
  exchange: string;
  routingKey: string;
  messageId: string;
  correlationId: string;
  replyTo: string;
  timestamp: number;
  keyId: string;
}

function mac(secret: string, e: SignedEnvelope, body: Buffer): Buffer {
  const bodyHash = createHash('sha256').update(body).digest('hex');
  const text = ['bmcgw-v1', e.type, e.exchange, e.routingKey, e.messageId, e.correlationId, e.replyTo, String(e.timestamp), e.keyId, bodyHash].join('\n');
  return createHmac('sha256', secret).update(text).digest();
}

/** The headers to publish with: signed with the first key. */
export function signHeaders(
  keys: readonly HmacKey[],
  e: Omit<SignedEnvelope, 'keyId' | 'timestamp'>,
  body: Buffer,
  now = Date.now(),
): Record<string, string | number> {
  const key = keys[0];
  if (!key) throw new Error('assert: no dispatch key to sign with (the config reader requires one)');
  const env: SignedEnvelope = { ...e, keyId: key.id, timestamp: now };
  return { [AUTH_HEADERS.keyId]: key.id, [AUTH_HEADERS.timestamp]: now, [AUTH_HEADERS.signature]: mac(key.secret, env, body).toString('base64url') };
}

export type Rejection = 'unsigned' | 'forged' | 'replayed' | 'stale';

/** What a consumer knows of a delivered message (amqplib's fields and properties). */
export interface Delivered {
  type: string | undefined;
  exchange: string;
  routingKey: string;
  messageId: string | undefined;
  correlationId: string | undefined;
  replyTo: string | undefined;
  headers: Record<string, unknown> | undefined;
  /** Set by the broker (never by a publisher) on a second delivery of the same message. */
  redelivered: boolean;
}

/**
 * Checks signed messages: present (`unsigned`), made with a key of the location and untouched
 * (`forged`), recent (`stale`: older than `maxAgeMs` or ahead of our clock by more than `clockSkewMs`),
 * and not seen before (`replayed`; a broker redelivery — flag set by the broker — is let through, it is
 * the idempotency cache's to answer). Seen signatures are kept until they would be stale anyway;
 * bounded at `maxSeen`: when the oldest is dropped, everything up to its timestamp is refused as stale
 * from then on, so no replay slips through a full memory.
 */
export class MessageVerifier {
  readonly #maxAgeMs: number;
  readonly #skewMs: number;
  readonly #maxSeen: number;
  readonly #now: () => number;
  /** signature → timestamp, in arrival order. */
  readonly #seen = new Map<string, number>();
  #floor = 0;

  constructor(o: { maxAgeMs: number; clockSkewMs: number; maxSeen?: number; now?: () => number }) {
    this.#maxAgeMs = o.maxAgeMs;
    this.#skewMs = o.clockSkewMs;
    this.#maxSeen = o.maxSeen ?? 100_000;
    this.#now = o.now ?? Date.now;
  }

  /**
   * undefined when the message is good (and now remembered), else why it is dropped. `remember:
   * false` is for a message that is read more than once by design (a claimed request's stored
   * answer): signature and age are checked, replays are not.
   */
  verify(keys: readonly HmacKey[], m: Delivered, body: Buffer, o: { remember?: boolean } = {}): Rejection | undefined {
    const h = m.headers ?? {};
    const keyId = h[AUTH_HEADERS.keyId];
    const ts = h[AUTH_HEADERS.timestamp];
    const sig = h[AUTH_HEADERS.signature];
    if (typeof keyId !== 'string' || typeof sig !== 'string' || (typeof ts !== 'number' && typeof ts !== 'string')) return 'unsigned';
    const timestamp = Number(ts);
    const key = keys.find((k) => k.id === keyId);
    if (!key || !Number.isSafeInteger(timestamp)) return 'forged';
    const env: SignedEnvelope = {
      type: m.type ?? '',
      exchange: m.exchange,
      routingKey: m.routingKey,
      messageId: m.messageId ?? '',
      correlationId: m.correlationId ?? '',
      replyTo: m.replyTo ?? '',
      timestamp,
      keyId,
    };
    const want = mac(key.secret, env, body);
    const got = Buffer.from(sig, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return 'forged';
    const now = this.#now();
    this.#expire(now);
    if (timestamp > now + this.#skewMs || timestamp < now - this.#maxAgeMs - this.#skewMs) return 'stale';
    if (o.remember === false) return undefined;
    if (timestamp <= this.#floor) return 'stale';
    if (this.#seen.has(sig)) return m.redelivered ? undefined : 'replayed';
    this.#seen.set(sig, timestamp);
    while (this.#seen.size > this.#maxSeen) {
      const [oldest, oldestTs] = this.#seen.entries().next().value as [string, number];
      this.#seen.delete(oldest);
      this.#floor = Math.max(this.#floor, oldestTs);
    }
    return undefined;
  }

  #expire(now: number): void {
    const limit = now - this.#maxAgeMs - this.#skewMs;
    // Arrival order is nearly timestamp order; stop at the first one still fresh.
    for (const [s, t] of this.#seen) {
      if (t >= limit) break;
      this.#seen.delete(s);
    }
  }

  get size(): number {
    return this.#seen.size;
  }
}

/** amqplib's delivered message, as the verifier reads it. */
export function delivered(m: {
  fields: { exchange: string; routingKey: string; redelivered: boolean };
  properties: { type?: unknown; messageId?: unknown; correlationId?: unknown; replyTo?: unknown; headers?: unknown };
}): Delivered {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    type: str(m.properties.type),
    exchange: m.fields.exchange,
    routingKey: m.fields.routingKey,
    messageId: str(m.properties.messageId),
    correlationId: str(m.properties.correlationId),
    replyTo: str(m.properties.replyTo),
    headers: (m.properties.headers ?? undefined) as Record<string, unknown> | undefined,
    redelivered: m.fields.redelivered,
  };
}

/**
 * Counts dropped messages (metric, every one) and reports them in the log and the audit trail at most
 * once per kind and reason every 10 s, with how many there were: whoever floods the broker with forged
 * messages must not flood the disk too.
 */
export class RejectionReporter {
  readonly #last = new Map<string, { at: number; suppressed: number }>();
  readonly #report: (kind: string, reason: Rejection, count: number) => void;
  readonly #count: (kind: string, reason: Rejection) => void;
  readonly #now: () => number;

  constructor(o: { count: (kind: string, reason: Rejection) => void; report: (kind: string, reason: Rejection, count: number) => void; now?: () => number }) {
    this.#count = o.count;
    this.#report = o.report;
    this.#now = o.now ?? Date.now;
  }

  rejected(kind: 'request' | 'reply' | 'announcement' | 'claim-answer', reason: Rejection): void {
    this.#count(kind, reason);
    const key = `${kind}/${reason}`;
    const now = this.#now();
    const e = this.#last.get(key);
    if (e && now - e.at < 10_000) {
      e.suppressed++;
      return;
    }
    this.#last.set(key, { at: now, suppressed: 0 });
    this.#report(kind, reason, 1 + (e?.suppressed ?? 0));
  }
}
