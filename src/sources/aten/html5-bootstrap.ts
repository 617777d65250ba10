import { GatewayError, type GatewayErrorCode } from '../../errors.js';

/**
 * Reading Supermicro's HTML5 iKVM bootstrap page (`/cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap`),
 * the page the BMC's own web interface opens for its browser console. Two things in it matter:
 *
 * - `<input type="hidden" id="entry_value" value="…">`: the one-time KVM ticket (24 base64
 *   characters on the boards public clients saw; kookyleo/ikvmt `web.rs` `entry_ticket` accepts
 *   24-256). It is what the ATEN handshake presents (protocols/aten/html5-ticket.ts).
 * - `SmcCsrfInsert("CSRF_TOKEN", "…")`: the page's CSRF token and the name of the header it goes in.
 *   Firmware differs on the name (`CSRF_TOKEN` in ikvmt, `CSRF-TOKEN` in another public client);
 *   it is taken as the page gives it and sent with the web logout.
 *
 * The page comes from the BMC and is untrusted: this looks only at `<input>` tags and one script
 * call, bounds what it returns, and never evaluates anything.
 */
export interface Html5BootstrapPage {
  entryValue: string;
  csrf?: { header: string; token: string };
}

/** Returns undefined when the page holds no `entry_value` (not the HTML5 console, or the session is gone). */
export function parseHtml5Bootstrap(html: string): Html5BootstrapPage | undefined {
  let entryValue: string | undefined;
  for (const tag of html.matchAll(/<input\b[^>]*>/gi)) {
    const attrs = new Map<string, string>();
    for (const a of tag[0].matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs.set(a[1]!.toLowerCase(), a[2] ?? a[3] ?? '');
    if (attrs.get('id') !== 'entry_value' && attrs.get('name') !== 'entry_value') continue;
    entryValue = attrs.get('value');
    break;
  }
  if (entryValue === undefined) return undefined;
  const page: Html5BootstrapPage = { entryValue: entryValue.trim() };
  const csrf = /SmcCsrfInsert\s*\(\s*["']([A-Za-z][\w-]{0,63})["']\s*,\s*["']([\x21-\x7e]{1,512}?)["']\s*\)/.exec(html);
  if (csrf && !/["']/.test(csrf[2]!)) page.csrf = { header: csrf[1]!, token: csrf[2]! };
  return page;
}

/**
 * The BMC has no working HTML5 console: no bootstrap page (or one without a ticket), a refused
 * WebSocket upgrade, or a WebSocket on which nothing arrives (old firmware that serves the page but
 * not the console). Under `transport: auto` the source then falls back to the TCP iKVM port; under
 * `html5` it is reported like any other error with its code.
 */
export class Html5UnavailableError extends GatewayError {
  constructor(code: GatewayErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'Html5UnavailableError';
  }
}
