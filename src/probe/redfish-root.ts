import { GatewayError } from '../errors.js';
import { parseServiceRoot } from '../redfish/resources.js';
import type { Finding, ProbeOptions } from './types.js';
import { webBase, type WebLooker } from './web-get.js';

/**
 * The Redfish service root, `GET /redfish/v1/`, which DSP0266 ("Service root request") requires a
 * service to answer without authentication, read by the gateway's own parser (src/redfish/
 * resources.ts). It says whether there is a Redfish service at all (for the `redfish:` power block),
 * who made it (`Vendor`, else the `Oem` keys), and whether it is OpenBMC's bmcweb: bmcweb names its
 * manager `bmc` (`Links.ManagerProvidingService` = `/redfish/v1/Managers/bmc`,
 * redfish-core/lib/service_root.hpp). bmcweb's KVM (`/kvm/0`) needs a login to tell anything:
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
  readonly sessions?: string;
  /** Looks like OpenBMC's bmcweb. */
  readonly bmcweb: boolean;
}

export async function probeRedfishRoot(o: ProbeOptions, web: WebLooker): Promise<Finding> {
  const where = `https/${o.webPort}`;
  const url = new URL('redfish/v1/', webBase(o.host, o.webPort));
  const requests = [`GET ${url.pathname} (no credentials)`];
  const r = await web.get(url, { accept: 'application/json' });
  if (!r.ok) return { probe: 'redfish', where, outcome: 'absent', summary: `no Redfish service root (${r.message})`, facts: { kind: 'none' }, requests };
  let body: unknown;
  try {
    body = JSON.parse(r.answer.body);
  } catch {
    body = undefined;
  }
  if (r.answer.status !== 200) {
    return { probe: 'redfish', where, outcome: 'absent', summary: `no Redfish service root (HTTP ${r.answer.status})`, facts: { kind: 'none' }, requests };
  }
  let root;
  try {
    root = parseServiceRoot(body, url.origin);
  } catch (e) {
    const err = e as GatewayError;
    const absent = err.code === 'GW_ERR_NOT_REDFISH';
    return {
      probe: 'redfish',
      where,
      outcome: absent ? 'absent' : 'problem',
      summary: absent ? 'no Redfish service root (HTTP 200, not a ServiceRoot)' : `a Redfish service root the gateway cannot read: ${err.message}`,
      facts: { kind: 'none' },
      requests,
    };
  }
  const facts: RedfishRootFacts = {
    kind: 'redfish',
    port: o.webPort,
    ...def('redfishVersion', root.redfishVersion),
    ...def('vendor', root.vendor),
    ...def('product', root.product),
    oem: root.oem,
    ...def('managerProvidingService', root.managerProvidingService),
    ...def('systems', root.systems),
    ...def('sessions', root.sessions),
    bmcweb: root.vendor === 'OpenBMC' || root.managerProvidingService === '/redfish/v1/Managers/bmc',
  };
  const who = facts.bmcweb ? 'OpenBMC bmcweb' : (root.vendor ?? (root.oem.length > 0 ? `Oem ${root.oem.join(', ')}` : 'vendor not named'));
  const parts = [`Redfish ${root.redfishVersion ?? '(no version)'} (${who})`];
  if (!root.systems) parts.push('no Systems collection (no power control there)');
  if (facts.bmcweb && o.user === undefined) parts.push('its KVM (/kvm/0) needs a login to check: rerun with --user');
  return { probe: 'redfish', where, outcome: 'found', summary: parts.join('; '), facts, requests };
}

function def<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
