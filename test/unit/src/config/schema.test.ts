import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig, TOP_KEYS } from '../../../../src/config/load.js';
import { ConfigError } from '../../../../src/config/reader.js';
import { CONFIG_SCHEMA, schemaProblems } from '../../../../src/config/schema.js';
import { startDemo } from '../../../../src/demo/demo.js';
import { bundleCli } from '../../../helpers/cli-process.js';

// `bmc-gateway config-schema`: the schema ajv compiles is the one the gateway checks files with, the
// example and the demo's config pass both, known-bad files are refused by both. (Every test gateway's
// config also passes through validate(), which applies the schema, so the whole suite checks it too.)

const root = new URL('../../../../', import.meta.url);
const ajv = new Ajv({ allErrors: true, strict: false });
const check = ajv.compile(CONFIG_SCHEMA);

describe('configuration schema', () => {
  it('is what `bmc-gateway config-schema` prints, ajv compiles it, and the committed copy the example names is the same', async () => {
    const cli = await bundleCli();
    const { stdout } = await promisify(execFile)(process.execPath, [cli, 'config-schema']);
    const printed = JSON.parse(stdout);
    expect(printed).toEqual(CONFIG_SCHEMA);
    expect(() => new Ajv({ strict: false }).compile(printed)).not.toThrow();
    const example = readFileSync(new URL('gateway.example.yaml', root), 'utf8');
    const modeline = /^# yaml-language-server: \$schema=(\S+)\n/.exec(example);
    expect(modeline).not.toBeNull();
    expect(JSON.parse(readFileSync(new URL(modeline![1]!, root), 'utf8'))).toEqual(printed);
  }, 60_000);

  it('names the same top-level keys as the reader', () => {
    expect(Object.keys(CONFIG_SCHEMA.properties as object).sort()).toEqual([...TOP_KEYS, 'dispatch', 'recording', 'media', 'java'].sort());
  });

  it('accepts the example and the demo configuration, as the reader does', async () => {
    const text = readFileSync(new URL('gateway.example.yaml', root), 'utf8');
    expect(check(parse(text)), ajv.errorsText(check.errors)).toBe(true);
    expect(() => parseConfig(text, 'gateway.example.yaml')).not.toThrow();
    const demo = await startDemo({ listen: '127.0.0.1:0' });
    try {
      expect(check(demo.raw), ajv.errorsText(check.errors)).toBe(true);
    } finally {
      await demo.close();
    }
  });

  const bad: [string, string][] = [
    ['an unknown top-level key', 'servers: []\nlisten_port: 8080\n'],
    ['an unknown server key', 'servers:\n  - id: a\n    hostname: x\n'],
    ['a server without id', 'servers:\n  - name: a\n'],
    ['a console type that does not exist', 'servers:\n  - id: a\n    console: { type: ilo, host: x }\n'],
    ['a port out of range', 'servers:\n  - id: a\n    console: { host: x, port: 70000 }\n'],
    ['a duration without unit', 'sessions:\n  idleTimeout: "5 minutes"\n'],
    ['a short token', 'tokens:\n  - token: short\n'],
    ['a list where a mapping belongs', 'sessions: [1, 2]\n'],
    ['an IPMI block without password', 'servers:\n  - id: a\n    ipmi: { host: x }\n'],
    ['a log level that does not exist', 'log: { level: loud }\n'],
  ];
  it.each(bad)('refuses %s, by the schema and by the gateway', (_what, text) => {
    expect(check(parse(text))).toBe(false);
    expect(() => parseConfig(text, 'bad.yaml')).toThrow(ConfigError);
  });

  it('reports its problems with the key path, as the reader does', () => {
    expect(schemaProblems({ servers: [{ id: 'a', hostname: 'x' }] })).toEqual([
      { path: ['servers', 0], message: 'does not match the configuration schema: must NOT have additional properties ("hostname")' },
    ]);
    expect(schemaProblems({ servers: [{ id: 'a' }] })).toEqual([]);
  });
});
