import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/reader.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import type { FuzzTarget } from '../types.js';

const RICH = `
listen: "0.0.0.0:8443"
publicUrl: "https://gw.example.net"
trustProxy: [10.0.0.0/8, loopback]
rateLimit: { perAddress: { failures: 30, window: 10m }, perToken: { failures: 10, window: 1h }, maxTracked: 1000 }
web: { frameAncestors: ["'self'", "https://panel.example.com", "https://*.hoster.example"] }
tls: { cert: /etc/gw.crt, key: /etc/gw.key }
audit: { file: /var/log/bmc-gateway/audit.jsonl }
stateDir: /var/lib/bmc-gateway
tokens: [{ token: "panel-secret-token", pin: 1234, servers: ["*"], name: panel }]
operators: [{ token: "operator-secret-token" }]
atenTemplates: { x9: { user: ADMIN, password: pw, insecureTls: true, legacyTls: true } }
servers:
  - { id: 25250, location: NL, console: { type: vnc, host: 10.0.0.5, port: 5901, encodings: [tight, raw] }, ipmi: { host: 10.0.0.5, password: pw, cipherSuite: [17, 3] } }
  - { id: x9, console: { type: aten, host: 10.0.0.6, template: x9, mouseInfoBytes: 3 } }
sessions: { idleTimeout: 5m, maxViewers: 4, closeUrlAllow: [public, "10.1.0.0/16", "panel.example.com:8443", "*.corp.example"] }
recording: { dir: /var/lib/rec, servers: ["25250"] }
dispatch:
  amqp: "amqps://gw:pw@mq.example:5671/bmc"
  role: both
  location: NL
  keys: [{ id: k2, secret: "0123456789abcdef0123456789abcdef" }, { id: k1, secret: "fedcba9876543210fedcba9876543210" }]
  locationKeys: { US: [{ id: us1, secret: "us-secret-0123456789abcdef0123456789" }] }
  clockSkew: 10s
log: { level: warn }
`;

export const config: FuzzTarget = {
  name: 'config',
  description: 'the config file reader (YAML → validated GatewayConfig); only ConfigError may come out',
  coverage: [
    '/src/config/',
    '/src/api/rate-limit',
    '/src/api/embedding',
    '/src/net/',
    '/src/dispatch/dispatch-config',
    '/src/dispatch/message-auth',
    '/src/sources/aten/aten-config',
    '/src/session/close-url-policy',
  ],
  seeds: () => [readFileSync(join(PROJECT_ROOT, 'gateway.example.yaml')), Buffer.from(RICH), Buffer.from('tls: self-signed\nstateDir: s\n')],
  run(input) {
    try {
      parseConfig(input.toString('utf8'), 'fuzz.yaml');
      return 'valid';
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      // Which key was wrong and how (indexes, mutated key names and values dropped) is the path this
      // input took through the reader.
      const [path = '', message = ''] = (err.problems[0] ?? '').split(': ');
      const unknownKey = message.startsWith('unknown key');
      const parent = path.lastIndexOf('.') < 0 ? '(top level)' : path.slice(0, path.lastIndexOf('.'));
      const where = (unknownKey ? parent : path).replace(/\[\d+\]/g, '[]');
      return `invalid:${where}:${unknownKey ? 'unknown key' : message.split(' ').slice(0, 3).join(' ')}`;
    }
  },
  expected: (err) => err instanceof ConfigError,
};
