import { probeBmcwebKvm } from './bmcweb-kvm.js';
import { probeIpmi, type IpmiFacts } from './ipmi.js';
import { probeRedfishRoot, type RedfishRootFacts } from './redfish-root.js';
import { probeRedfishSystem } from './redfish-system.js';
import { probeRfbPort } from './rfb-port.js';
import { suggest } from './suggest.js';
import { lookAtSupermicroRoot, probeSupermicroWeb } from './supermicro-web.js';
import { describeTls, lookAtTls, type TlsFacts } from './tls-look.js';
import type { Finding, ProbeOptions, ProbeReport } from './types.js';
import { WebLooker } from './web-get.js';

/**
 * Runs every probe against one BMC, concurrently, each under its own deadline, in two phases:
 *
 *  1. what needs no credentials, all at once: each RFB/ATEN port, IPMI, the web port's TLS, its
 *     `/` page and the Redfish service root. (RFB's VNC Authentication and IPMI's session, when
 *     credentials were given, happen inside their probe: they need nothing from the others.)
 *  2. what phase 1 pointed at, concurrently: the Supermicro web login when anything said
 *     Supermicro (the `/` page, an ATEN port, Redfish, IPMI's manufacturer); bmcweb's KVM when the
 *     Redfish service root looks like bmcweb; the Redfish system when the root lists Systems. All
 *     only with credentials.
 *
 * A probe that overruns its deadline is stopped (its sockets closed through the AbortSignal) and
 * reported as such; the others are unaffected. Nothing here writes to the BMC (docs: "Probe").
 */
export async function runProbe(o: ProbeOptions): Promise<ProbeReport> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  // A probe makes at most ~6 bounded steps one after the other; a whole phase gets that many
  // timeouts and is then cut. The Supermicro web login gets more: up to 8 requests and a WebSocket
  // (the JNLP is tried at two paths, each retried once after 1 s), and it must reach its logout.
  const deadlineMs = 6 * o.timeoutMs + 1000;
  const webLoginDeadlineMs = 10 * o.timeoutMs + 3000;
  const web = new WebLooker({ legacyTls: false, timeoutMs: o.timeoutMs });
  let legacyWeb: WebLooker | undefined;
  try {
    const tlsLook = bounded('web-tls', `https/${o.webPort}`, deadlineMs, (signal) => lookAtTls(o.host, o.webPort, { timeoutMs: o.timeoutMs, signal }));
    const webFindings = tlsLook.then(async (look): Promise<{ tls?: TlsFacts; findings: Finding[]; rootHint: boolean }> => {
      if (look.kind !== 'tls') {
        return {
          findings: [
            {
              probe: 'web-tls',
              where: `https/${o.webPort}`,
              outcome: 'absent',
              summary: `no HTTPS (${look.message})`,
              facts: { kind: 'none' },
              requests: ['TLS handshake'],
            },
          ],
          rootHint: false,
        };
      }
      const tls = look.facts;
      const looker = tls.legacyNeeded ? (legacyWeb = new WebLooker({ legacyTls: true, timeoutMs: o.timeoutMs })) : web;
      const tlsFinding: Finding = {
        probe: 'web-tls',
        where: `https/${o.webPort}`,
        outcome: 'found',
        summary: describeTls(tls),
        facts: { kind: 'web-tls', ...tls },
        requests: ['TLS handshake (no client certificate)'],
      };
      const [root, redfish] = await Promise.all([
        bounded('supermicro-web', '', deadlineMs, () => lookAtSupermicroRoot(o, looker)),
        boundedFinding('redfish', `https/${o.webPort}`, deadlineMs, () => probeRedfishRoot(o, looker)),
      ]);
      return { tls, findings: [tlsFinding, redfish], rootHint: root.hint === true };
    });
    const phase1 = await Promise.all([
      ...o.rfbPorts.map((port) => boundedFinding('rfb', `tcp/${port}`, deadlineMs, (signal) => probeRfbPort(o, port, signal))),
      boundedFinding('ipmi', `udp/${o.ipmiPort}`, deadlineMs, (signal) => probeIpmi(o, signal)),
    ]);
    const w = await webFindings;
    const findings: Finding[] = [...phase1, ...w.findings];

    const why = supermicroHint(findings, w.rootHint);
    const tls = w.tls;
    const phase2: Promise<Finding>[] = [];
    if (why && tls)
      phase2.push(
        boundedFinding('supermicro-web', `https/${o.webPort}`, webLoginDeadlineMs, (signal) => probeSupermicroWeb(o, tls, { page: w.rootHint, why }, signal)),
      );
    const bmcweb = findings.some((f) => (f.facts as Partial<RedfishRootFacts>).bmcweb === true);
    if (bmcweb && tls && o.user !== undefined && o.password !== undefined)
      phase2.push(boundedFinding('bmcweb-kvm', `https/${o.webPort}`, deadlineMs, (signal) => probeBmcwebKvm(o, tls, signal)));
    const systems = findings.map((f) => (f.facts as Partial<RedfishRootFacts>).systems).find((p) => p !== undefined);
    if (systems && tls && o.user !== undefined && o.password !== undefined)
      phase2.push(boundedFinding('redfish-system', `https/${o.webPort}`, deadlineMs, () => probeRedfishSystem(o, tls, systems)));
    findings.push(...(await Promise.all(phase2)));
    const { chosen, alternatives } = suggest(o, findings, { ...(w.tls ? { tls: w.tls } : {}) });
    return {
      host: o.host,
      startedAt,
      durationMs: Date.now() - started,
      withCredentials: o.user !== undefined && o.password !== undefined,
      findings,
      chosen,
      alternatives,
    };
  } finally {
    await web.close();
    await legacyWeb?.close();
  }
}

/** Why we think it is a Supermicro, or undefined. */
function supermicroHint(findings: readonly Finding[], rootHint: boolean): string | undefined {
  const facts = findings.map((f) => f.facts as { kind?: string });
  if (facts.some((f) => f.kind === 'aten')) return 'an ATEN iKVM port answered';
  if (rootHint) return 'its login page posts to cgi/login.cgi';
  const rf = facts.find((f): f is RedfishRootFacts => f.kind === 'redfish');
  if (rf && (rf.vendor === 'Supermicro' || rf.oem.includes('Supermicro'))) return 'Redfish says Supermicro';
  const ipmi = facts.find((f): f is IpmiFacts => f.kind === 'ipmi');
  if (ipmi?.session?.device.manufacturer === 'Supermicro') return 'IPMI says Supermicro';
  if (facts.some((f) => f.kind === 'tls-wrapped')) return 'a TLS-only KVM port (Supermicro "KVM SSL"?)';
  return undefined;
}

/** Runs `fn` with an AbortSignal that fires at the deadline; resolves with a "stopped" value then. */
function bounded<T>(
  name: string,
  where: string,
  deadlineMs: number,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T | { kind: 'stopped'; message: string; hint?: undefined }> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const stop = new Promise<{ kind: 'stopped'; message: string }>((resolve) => {
    timer = setTimeout(() => {
      ac.abort();
      resolve({ kind: 'stopped', message: `${name}${where ? ` ${where}` : ''} did not finish within ${deadlineMs} ms` });
    }, deadlineMs);
  });
  return Promise.race([fn(ac.signal), stop]).finally(() => clearTimeout(timer));
}

async function boundedFinding(probe: Finding['probe'], where: string, deadlineMs: number, fn: (signal: AbortSignal) => Promise<Finding>): Promise<Finding> {
  const r = await bounded(probe, where, deadlineMs, fn);
  if ('probe' in r) return r;
  return { probe, where, outcome: 'problem', summary: r.message, facts: { kind: 'none' }, requests: [] };
}
