import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConfigReader, Path } from '../config/reader.js';
import { GatewayError } from '../errors.js';

/** `web:` (docs/config.md). */
export interface WebConfig {
  /** CSP frame-ancestors sources for the console, SOL and replay pages: `'self'`, `'none'` or origins. */
  frameAncestors: readonly string[];
}

export const WEB_DEFAULTS: WebConfig = Object.freeze({ frameAncestors: Object.freeze(["'self'"]) });

/** An origin as CSP writes it: scheme://host[:port], the host's first label may be `*`. */
const ORIGIN = /^https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

export function readWebConfig(r: ConfigReader, path: Path, raw: unknown): WebConfig {
  if (raw === undefined) return WEB_DEFAULTS;
  const o = r.object(path, raw, ['frameAncestors']);
  if (o?.frameAncestors === undefined) return WEB_DEFAULTS;
  const list = r.array([...path, 'frameAncestors'], o.frameAncestors) ?? [];
  const out: string[] = [];
  list.forEach((v, i) => {
    const s = r.string([...path, 'frameAncestors', i], v, { required: true });
    if (s === undefined) return;
    if (s === "'self'" || s === 'self') out.push("'self'");
    else if (s === "'none'" || s === 'none') out.push("'none'");
    else if (ORIGIN.test(s)) out.push(s.replace(/\/+$/, '').toLowerCase());
    else r.problem([...path, 'frameAncestors', i], `must be 'self', 'none' or an origin such as https://panel.example.com (no path), got "${s}"`);
  });
  if (out.includes("'none'") && out.length > 1) r.problem([...path, 'frameAncestors'], "'none' cannot be listed with anything else");
  if (out.length === 0) r.problem([...path, 'frameAncestors'], "must list at least one source ('none' forbids every frame)");
  return { frameAncestors: out };
}

/** True when `origin` (scheme://host:port, lower case) matches a listed CSP source origin. */
function originMatches(source: string, origin: string): boolean {
  if (!source.includes('*')) return source === origin || source === origin.replace(/:(80|443)$/, '');
  const m = /^(https?):\/\/\*\.(.+)$/.exec(source)!;
  const o = /^(https?):\/\/([^/]+)$/.exec(origin);
  return !!o && o[1] === m[1] && o[2]!.endsWith(`.${m[2]}`);
}

/**
 * The headers of pages that carry a one-time key in their URL (console, SOL, replay): no caching, no
 * Referer to anyone (the key must not leak), scripts only from us, and framing only by the listed panel
 * origins. The CSP is the same strict one whatever is listed: only `frame-ancestors` changes.
 * X-Frame-Options says the same for browsers without CSP level 2 (those that still read it): SAMEORIGIN,
 * DENY, or ALLOW-FROM one origin — the one of the framing page (its Referer) when it is listed, else
 * the first listed. Browsers that know frame-ancestors ignore X-Frame-Options when both are sent.
 */
export class PageHeaders {
  readonly #ancestors: readonly string[];
  readonly #csp: string;

  constructor(web: WebConfig) {
    this.#ancestors = web.frameAncestors;
    this.#csp = `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors ${web.frameAncestors.join(' ')}; base-uri 'none'; form-action 'self'; object-src 'none'`;
  }

  /** The headers for a framable page; `referer` picks the ALLOW-FROM origin for old browsers. */
  for(referer: string | undefined): Record<string, string> {
    return {
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': this.#xfo(referer),
      'content-security-policy': this.#csp,
    };
  }

  apply(req: FastifyRequest, reply: FastifyReply): void {
    reply.headers(this.for(req.headers.referer));
  }

  #xfo(referer: string | undefined): string {
    const others = this.#ancestors.filter((s) => !s.startsWith("'"));
    if (this.#ancestors.includes("'none'")) return 'DENY';
    if (others.length === 0) return 'SAMEORIGIN';
    let from: string | undefined;
    try {
      from = referer ? new URL(referer).origin.toLowerCase() : undefined;
    } catch {
      from = undefined;
    }
    if (from && others.some((s) => originMatches(s, from))) return `ALLOW-FROM ${from}`;
    const first = others.find((s) => !s.includes('*'));
    return first ? `ALLOW-FROM ${first}` : 'SAMEORIGIN';
  }

  /**
   * May a browser page of `origin` use the viewer WebSockets? Its own pages (the gateway's origin, from
   * `publicUrl` or the Host it was reached by) and the listed panels. No Origin at all is a program, not
   * a browser page (browsers always send one), and the one-time key is its authorisation.
   */
  allowsWebSocketOrigin(origin: string | undefined, host: string | undefined, publicUrl: string): boolean {
    if (origin === undefined) return true;
    let o: URL;
    try {
      o = new URL(origin);
    } catch {
      return false; // includes "null" (sandboxed frames, file: pages)
    }
    const norm = o.origin.toLowerCase();
    if (norm === new URL(publicUrl).origin.toLowerCase()) return true;
    if (host !== undefined && o.host.toLowerCase() === host.toLowerCase()) return true;
    return this.#ancestors.some((s) => !s.startsWith("'") && originMatches(s, norm));
  }

  /** A fastify preValidation hook for WebSocket routes: refuses the upgrade (403) before the key is used. */
  webSocketOriginCheck(publicUrl: string, refused: (req: FastifyRequest, origin: string) => void) {
    return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const origin = req.headers.origin;
      if (this.allowsWebSocketOrigin(origin, req.headers.host, publicUrl)) return;
      refused(req, origin!);
      const e = new GatewayError('GW_ERR_ORIGIN_REFUSED', `a page of ${origin} may not open this WebSocket (web.frameAncestors lists the panels that may)`);
      await reply.code(e.status).send({ error: { code: e.code, message: e.message } });
    };
  }
}
