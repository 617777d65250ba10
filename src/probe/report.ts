import { Document, isMap, isScalar, stringify } from 'yaml';
import type { Finding, ProbeReport } from './types.js';

/**
 * What `bmc-gateway probe` prints: for people, one line per thing probed with the requests it made,
 * then a configuration holding one server entry (the best console, ipmi and redfish blocks; the
 * runners-up as comments); with `--json`, the same as one JSON object. No secret is in a report:
 * findings never hold one, and every password in the YAML is null.
 */

const MARK: Record<Finding['outcome'], string> = { found: '+', absent: ' ', problem: '!' };

export function renderText(r: ProbeReport): string {
  const lines = [`bmc-gateway probe ${r.host} (${r.withCredentials ? 'with credentials' : 'without credentials'}; ${(r.durationMs / 1000).toFixed(1)} s)`, ''];
  const width = Math.max(...r.findings.map((f) => f.where.length), 8);
  for (const f of r.findings) {
    lines.push(`${MARK[f.outcome]} ${f.where.padEnd(width)}  ${f.probe.padEnd(14)} ${f.summary}`);
    for (const q of f.requests) lines.push(`  ${' '.repeat(width)}  ${' '.repeat(14)} > ${q}`);
  }
  lines.push('', '(+ found, ! found with a problem; > what the probe sent)', '');
  if (r.chosen.length === 0) {
    lines.push('Nothing the gateway can use answered: no configuration to suggest.');
    return `${lines.join('\n')}\n`;
  }
  lines.push('Configuration (fill in each null, then: bmc-gateway check-config FILE):', '', renderYaml(r));
  return `${lines.join('\n')}\n`;
}

/** A whole configuration file with one server entry; `check-config` accepts it once the nulls are filled in. */
export function renderYaml(r: ProbeReport): string {
  const entry: Record<string, unknown> = { id: serverId(r.host) };
  for (const s of r.chosen) entry[s.block] = s.config;
  const doc = new Document({ servers: [entry] });
  doc.commentBefore = ` bmc-gateway probe ${r.host}, ${r.startedAt}. Every null is a value to fill in (passwords are never printed).`;
  const pairMap = doc.getIn(['servers', 0], true);
  if (isMap(pairMap)) {
    for (const pair of pairMap.items) {
      const s = r.chosen.find((c) => isScalar(pair.key) && c.block === pair.key.value);
      if (s && isScalar(pair.key)) pair.key.commentBefore = ` ${s.confidence}: ${s.because}`;
    }
  }
  let text = doc.toString({ lineWidth: 0 });
  if (r.alternatives.length > 0) {
    text += '# Also possible (instead of the block of the same name above):\n';
    for (const a of r.alternatives)
      text += `#   ${a.block}: ${stringify(a.config, { collectionStyle: 'flow', lineWidth: 0 }).trim()}\n#     (${a.confidence}: ${a.because})\n`;
  }
  return text;
}

/** A server id from the host name: the characters an id allows (letters, digits, `._:-`). */
export function serverId(host: string): string {
  return host.replace(/[^A-Za-z0-9._:-]/g, '-');
}

export function renderJson(r: ProbeReport): string {
  return `${JSON.stringify({ ...r, yaml: r.chosen.length > 0 ? renderYaml(r) : null }, null, 2)}\n`;
}

/** Something the gateway can use answered: a console, IPMI or Redfish block is suggested. */
export function usable(r: ProbeReport): boolean {
  return r.chosen.length > 0;
}
