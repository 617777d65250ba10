import type { Finding, ProbeOptions } from './types.js';
import { webBase, type WebLooker } from './web-get.js';

/**
 * The Redfish service root, `GET /redfish/v1/`, which DSP0266 ("Service root request") requires a
 * service to answer without authentication. It says whether there is a Redfish service at all (for
 * the `redfish:` power block), who made it (`Vendor` since ServiceRoot 1.5, else the `Oem` keys),
 * and whether it is OpenBMC's bmcweb: bmcweb names its manager `bmc`
 * (`Links.ManagerProvidingService` = `/redfish/v1/Managers/bmc`, redfish-core/lib/service_root.hpp),
 * and newer builds say `Vendor: "OpenBMC"`. bmcweb's KVM (`/kvm/0`) needs a login to tell anything:
 * bmcweb answers 401 to every unauthenticated path outside its allow-list, existing or not.
 */
export interface RedfishRootFacts {
  readonly kind: 'redfish';
  readonly port: number;
  readonly redfishVersion?: string;
  readonly vendor?: string;
  readonly product?: string;
  readonly oem: readonly string[];
  readonly managerProvidingService?: string;
  readonly systems?: string;
  readonly sessionService?: string;
  /** Looks like OpenBMC's bmcweb. */
  readonly bmcweb: boolean;
}

export async function probeRedfishRoot(o: ProbeOptions, web: WebLooker): Promise<Finding> {
  const where = `https/${o.webPort}`;
  const url = new URL('redfish/v1/', webBase(o.host, o.webPort));
  const requests = [`GET ${url.pathname} (no credentials)`];
  const r = await web.get(url, { accept: 'application/json' });
  if (!r.ok) return { probe: 'redfish', where, outcome: 'absent', summary: `no Redfish service root (${r.message})`, facts: { kind: 'none' }, requests };
  const a = r.answer;
  let root: unknown;
  try {
    root = JSON.parse(a.body);
  } catch {
    root = undefined;
  }
  if (a.status !== 200 || !isObject(root) || (typeof root['RedfishVersion'] !== 'string' && !String(root['@odata.id'] ?? '').startsWith('/redfish/v1'))) {
    return { probe: 'redfish', where, outcome: 'absent', summary: `no Redfish service root (HTTP ${a.status}${a.status === 200 ? ', not a ServiceRoot' : ''})`, facts: { kind: 'none' }, requests };
  }
  const link = (v: unknown): string | undefined => (isObject(v) && typeof v['@odata.id'] === 'string' ? v['@odata.id'] : undefined);
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 200 ? v : undefined);
  const links = isObject(root['Links']) ? root['Links'] : {};
  const oem = isObject(root['Oem']) ? Object.keys(root['Oem']).filter((k) => !k.startsWith('@')).slice(0, 10) : [];
  const manager = link(links['ManagerProvidingService']);
  const vendor = str(root['Vendor']);
  const facts: RedfishRootFacts = {
    kind: 'redfish',
    port: o.webPort,
    ...def('redfishVersion', str(root['RedfishVersion'])),
    ...def('vendor', vendor),
    ...def('product', str(root['Product'])),
    oem,
    ...def('managerProvidingService', manager),
    ...def('systems', link(root['Systems'])),
    ...def('sessionService', link(root['SessionService'])),
    bmcweb: vendor === 'OpenBMC' || manager === '/redfish/v1/Managers/bmc',
  };
  const who = facts.bmcweb ? 'OpenBMC bmcweb' : vendor ?? (oem.length > 0 ? `Oem ${oem.join(', ')}` : 'vendor not named');
  const parts = [`Redfish ${facts.redfishVersion ?? '(no version)'} (${who})`];
  if (!facts.systems) parts.push('no Systems collection (no power control there)');
  if (facts.bmcweb) parts.push(o.user ? 'KVM at /kvm/0: see bmcweb-kvm' : 'its KVM (/kvm/0) needs a login to check: rerun with --user');
  return { probe: 'redfish', where, outcome: 'found', summary: parts.join('; '), facts, requests };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function def<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
