import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ATEN_CONSOLE_KEYS, ATEN_TEMPLATE_KEYS } from '../sources/aten/aten-config.js';
import { OPENBMC_CONSOLE_KEYS } from '../sources/openbmc/openbmc-config.js';
import { URL_KEYS, WEB_LOGIN_KEYS } from '../sources/jnlp/jnlp-config.js';
import { REDFISH_KEYS } from '../redfish/redfish-config.js';
import { ENCODING_NAMES } from '../sources/vnc/encoding-names.js';
import type { Path } from './reader.js';

/**
 * The JSON Schema of the YAML configuration: its structure (which keys exist where, and the type of
 * each value). `bmc-gateway config-schema` prints it; editors use it through the modeline at the top
 * of gateway.example.yaml. The gateway checks every configuration against it too (`validate` in
 * load.ts, after the reader's own checks), so a file the schema refuses is never served: the schema
 * cannot accept less than the gateway. What it cannot say (a duplicate id, a file that must exist, a
 * key one setting makes pointless) only the reader checks, with the line of the problem. The key lists
 * of the vendor consoles, Redfish and the top level come from the readers' own tables.
 */

type S = Record<string, unknown>;

// The reader treats a key written with no value (YAML null) as absent, and reads a whole number as
// text where text is expected (ids, PINs written without quotes): the schema says the same.
const text: S = { type: ['string', 'integer', 'null'] };
const secret = (what: string): S => ({ type: ['string', 'integer'], description: what });
const int = (minimum?: number, maximum?: number): S => ({
  type: ['integer', 'null'],
  ...(minimum !== undefined ? { minimum } : {}),
  ...(maximum !== undefined ? { maximum } : {}),
});
const bool: S = { type: ['boolean', 'null'] };
const duration: S = {
  type: ['string', 'number', 'null'],
  pattern: '^\\s*\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*$',
  minimum: 0,
  description: '"500ms", "60s", "5m", "1h", "1d" or milliseconds',
};
const oneOf = (...values: string[]): S => ({ enum: [...values, null] });
const list = (items: S): S => ({ type: ['array', 'null'], items });
const map = (properties: Record<string, S>, required: string[] = []): S => ({ type: 'object', properties, required, additionalProperties: false });
const keysOf = (keys: readonly string[], typed: Record<string, S>): Record<string, S> =>
  Object.fromEntries(keys.map((k) => [k, typed[k] ?? { type: ['string', 'number', 'boolean', 'null'] }]));
const port = int(1, 65535);

const vnc = map(
  {
    type: { const: 'vnc' },
    host: text,
    port,
    password: { type: ['string', 'integer'] },
    shared: bool,
    connectTimeout: duration,
    encodings: list({ enum: Object.keys(ENCODING_NAMES) }),
    tls: oneOf('prefer', 'require', 'off'),
    insecureTls: bool,
    legacyTls: bool,
    ca: text,
    user: { type: ['string', 'integer'] },
  },
  ['host'],
);
const aten = map(
  keysOf(ATEN_CONSOLE_KEYS, {
    type: { const: 'aten' },
    host: text,
    fallback: oneOf('jnlp'),
    transport: oneOf('tcp', 'html5', 'auto'),
    scheme: oneOf('https', 'http'),
  }),
  ['type', 'host'],
);
const openbmc = map(keysOf(OPENBMC_CONSOLE_KEYS, { type: { const: 'openbmc' }, host: text, port }), ['type', 'host']);
const jnlp = map(keysOf([...new Set([...URL_KEYS, 'template', ...WEB_LOGIN_KEYS])], { type: { const: 'jnlp' } }), ['type']);

const ipmi = map(
  {
    host: text,
    port,
    user: { type: ['string', 'integer'], description: 'the IPMI user ("" for the anonymous user)' },
    password: secret('the IPMI password'),
    kg: text,
    cipherSuite: {
      oneOf: [
        { type: 'integer', minimum: 0, maximum: 17 },
        { type: 'array', items: { type: 'integer', minimum: 0, maximum: 17 } },
      ],
    },
    privilege: oneOf('USER', 'OPERATOR', 'ADMINISTRATOR'),
    allowWeakCipherSuites: bool,
    solTakeover: bool,
  },
  ['host', 'password'],
);
const redfish = map(
  keysOf(REDFISH_KEYS, { host: text, port, user: text, password: text, insecureTls: bool, system: text, timeout: duration, taskTimeout: duration }),
  ['host'],
);

const server = map(
  {
    id: { type: ['string', 'integer'], pattern: '^[A-Za-z0-9._:-]{1,128}$' },
    name: text,
    location: text,
    console: {
      description: 'the KVM console: type vnc (the default), aten, openbmc or jnlp',
      oneOf: [vnc, aten, openbmc, jnlp],
    },
    ipmi,
    redfish,
    power: oneOf('ipmi', 'redfish'),
  },
  ['id'],
);

const hmacKeys = {
  type: 'array',
  minItems: 1,
  maxItems: 2,
  items: map({ id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,32}$' }, secret: { type: 'string', minLength: 32 } }, ['id', 'secret']),
};
const failureLimit = map({ failures: int(1, 1_000_000), window: duration });

export const CONFIG_SCHEMA: S = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://bmc-gateway.invalid/schema/gateway-config.json',
  title: 'bmc-gateway configuration',
  description: 'The YAML configuration of bmc-gateway (docs/config.md). Generated by `bmc-gateway config-schema`.',
  ...map({
    listen: { type: ['string', 'null'], description: 'host:port' },
    publicUrl: { type: ['string', 'null'], pattern: '^https?://' },
    tokens: list(
      map({ token: { type: ['string', 'integer'], minLength: 8 }, pin: text, servers: list({ type: ['string', 'integer'] }), name: text }, ['token']),
    ),
    operators: list(map({ token: { type: ['string', 'integer'], minLength: 8 }, name: text }, ['token'])),
    servers: list(server),
    sessions: map({
      idleTimeout: duration,
      inputIdleTimeout: duration,
      inputIdleWarning: duration,
      maxLifetime: duration,
      maxViewers: int(1, 1000),
      maxSessions: int(1, 100_000),
      urlTtl: duration,
      reconnectBudget: duration,
      relay: bool,
      closeUrlAttempts: int(1, 20),
      closeUrlTimeout: duration,
      pingInterval: duration,
      closeUrlAllow: list({ type: 'string' }),
    }),
    log: map({ level: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') }),
    atenTemplates: { type: ['object', 'null'], additionalProperties: map(keysOf(ATEN_TEMPLATE_KEYS, {})) },
    trustProxy: list({ type: 'string' }),
    rateLimit: map({ perAddress: failureLimit, perToken: failureLimit, maxTracked: int(1) }),
    web: map({ frameAncestors: list({ type: 'string' }) }),
    tls: { oneOf: [{ const: 'self-signed' }, { type: 'null' }, map({ cert: { type: 'string' }, key: { type: 'string' } }, ['cert', 'key'])] },
    audit: map({ file: text }),
    stateDir: text,
    workers: { anyOf: [{ const: 'auto' }, int(0, 256), map({ count: { anyOf: [{ const: 'auto' }, int(0, 256)] }, heartbeatTimeout: duration })] },
    dispatch: map(
      {
        amqp: { type: 'string', pattern: '^amqps?://' },
        role: oneOf('front', 'agent', 'both'),
        location: text,
        exchange: text,
        requestTimeout: duration,
        prefetch: int(1, 1000),
        announceInterval: duration,
        agentId: text,
        keys: hmacKeys,
        locationKeys: { type: 'object', additionalProperties: hmacKeys },
        clockSkew: duration,
      },
      ['amqp'],
    ),
    recording: map({ dir: { type: 'string', minLength: 1 }, servers: list({ type: ['string', 'integer'] }) }, ['dir']),
    media: map({ allow: list({ type: 'string' }) }),
    java: map({
      runtime: oneOf('docker', 'process'),
      maxSessions: int(1),
      startTimeout: duration,
      instanceId: text,
      docker: map({ socket: text, image: text, memory: { type: ['string', 'integer', 'null'] }, cpus: { type: ['number', 'null'] } }),
      process: map({ user: text }),
      jarCache: map({ dir: text, maxSize: { type: ['string', 'integer', 'null'] } }),
    }),
  }),
};

let compiled: ValidateFunction | undefined;

/** Structural problems of a configuration by the schema: each with its key path, as the reader reports them. */
export function schemaProblems(raw: unknown): { path: Path; message: string }[] {
  compiled ??= new Ajv({ allErrors: true, strict: false }).compile(CONFIG_SCHEMA);
  if (compiled(raw)) return [];
  return (compiled.errors ?? [])
    .filter((e) => e.keyword !== 'if')
    .map((e: ErrorObject) => ({
      path: e.instancePath
        .split('/')
        .slice(1)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p.replace(/~1/g, '/').replace(/~0/g, '~'))),
      message: `does not match the configuration schema: ${e.message ?? e.keyword}${e.keyword === 'additionalProperties' ? ` ("${(e.params as { additionalProperty: string }).additionalProperty}")` : ''}`,
    }));
}
