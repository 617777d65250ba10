/**
 * Structure-aware variation for JSON targets. Byte mutations mostly break JSON syntax, so a JSON
 * target's input is one control byte and a JSON text: when the text parses, the control byte picks
 * one node of the document (depth-first) and a replacement from INTERESTING (wrong types, huge and
 * empty values, prototype names, paths that leave /redfish/v1, control characters). The same input
 * always gives the same document, so saved regressions replay exactly. Text that does not parse is
 * handed to the target as text (a BMC may answer with anything).
 */
const LONG = 'A'.repeat(5000);
const INTERESTING: readonly unknown[] = [
  null,
  0,
  -1,
  1e308,
  2 ** 53,
  NaN,
  true,
  false,
  '',
  [],
  {},
  [[]],
  [{}],
  [null],
  LONG,
  [LONG],
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  { '@odata.id': 'constructor' },
  { '@odata.id': '/redfish/v1/../../etc' },
  { '@odata.id': 'http://other.example/redfish/v1/x' },
  { '@odata.id': '/redfish/v1/Systems/1' },
  '/redfish/v1/\u0000',
  '/redfish/v1/Systems/1?x=\u001b[2J',
  'https://[::1',
  '%',
  '\ud800',
  Array.from({ length: 300 }, () => 'On'),
  Array.from({ length: 300 }, () => ({ '@odata.id': '/redfish/v1/a' })),
  { MessageId: 'Base.1.8.constructor', Message: 'x' },
  [{ MessageId: '__proto__' }],
  { error: { code: 'hasOwnProperty', message: 1 } },
  'Completed',
  'Exception',
  'Critical',
  'On',
  'Off',
  'Pxe',
  'Once',
  'Continuous',
  '#Task.v1_4_3.Task',
  '#ComputerSystem.v1_13_0.ComputerSystem',
];

export type JsonInput = { kind: 'json'; value: unknown; text: string } | { kind: 'text'; text: string };

export function jsonVariant(input: Buffer): JsonInput {
  const control = input[0] ?? 0;
  const text = input.subarray(1).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return { kind: 'text', text };
  }
  // control 0..15: the document as it is; else replace node (control >> 4 … mod nodes) with INTERESTING[control % n].
  if (control >= 16) {
    const nodes: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
    const walk = (v: unknown, depth: number): void => {
      if (depth > 12 || nodes.length > 512 || v === null || typeof v !== 'object') return;
      if (Array.isArray(v)) {
        v.forEach((c, i) => {
          nodes.push({ parent: v, key: i });
          walk(c, depth + 1);
        });
      } else {
        for (const [k, c] of Object.entries(v)) {
          nodes.push({ parent: v as Record<string, unknown>, key: k });
          walk(c, depth + 1);
        }
      }
    };
    walk(value, 0);
    const replacement = structuredClone(INTERESTING[(control * 7 + input.length) % INTERESTING.length]);
    if (nodes.length === 0) value = replacement;
    else {
      const n = nodes[(control >> 2) % nodes.length]!;
      (n.parent as Record<string | number, unknown>)[n.key] = replacement;
    }
  }
  return { kind: 'json', value, text: JSON.stringify(value) ?? '' };
}

/** A JSON seed: control byte 0 (the document unchanged) and the text. */
export function jsonSeed(value: unknown): Buffer {
  return Buffer.concat([Buffer.from([0]), Buffer.from(JSON.stringify(value))]);
}
