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
  for (const tag of inputTags(html)) {
    const attrs = attributesOf(tag);
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
 * The `<input …>` tags of the page, in order (what is between `<input` and the next `>`). Found with
 * indexOf, not a regular expression: a page of 1 MiB (the body bound) must cost linear time whatever
 * it holds. `/<input\b[^>]*>/` rescans to the end from every `<input` when no `>` follows, and the
 * attribute pattern `([\w-]+)\s*=` from every character of a long word: a fuzzed page of 64 KiB took
 * 7 s in the second (fuzz/regressions/aten-html5/), blocking the gateway's event loop meanwhile.
 */
function* inputTags(html: string): Generator<string> {
  // A fixed string: no backtracking (and no toLowerCase, which can change the string's length).
  const opening = /<input/gi;
  for (;;) {
    const found = opening.exec(html);
    if (!found) return;
    const start = found.index;
    const next = html.charCodeAt(start + 6);
    const end = html.indexOf('>', start + 6);
    if (end < 0) return; // no later tag can close either
    // `\b` after the name: `<inputs>` is another tag.
    if (!(next >= 48 && next <= 57) && !(next >= 65 && next <= 90) && !(next >= 97 && next <= 122) && next !== 95) yield html.slice(start + 6, end);
    opening.lastIndex = end + 1;
  }
}

/** Quoted attributes `name="v"` / `name='v'` of a tag's text (names lower-cased), scanned once left to right. */
function attributesOf(tag: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const isName = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
  const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
  let i = 0;
  while (i < tag.length) {
    if (!isName(tag.charCodeAt(i))) {
      i++;
      continue;
    }
    const nameStart = i;
    while (i < tag.length && isName(tag.charCodeAt(i))) i++;
    const name = tag.slice(nameStart, i);
    let j = i;
    while (j < tag.length && isSpace(tag.charCodeAt(j))) j++;
    if (tag[j] !== '=') continue;
    j++;
    while (j < tag.length && isSpace(tag.charCodeAt(j))) j++;
    const quote = tag[j];
    if (quote !== '"' && quote !== "'") {
      i = j; // an unquoted value is not read (as before); scanning goes on from it
      continue;
    }
    const close = tag.indexOf(quote, j + 1);
    if (close < 0) break; // an unterminated value takes the rest of the tag
    attrs.set(name.toLowerCase(), tag.slice(j + 1, close)); // a repeated attribute: the last one, as before
    i = close + 1;
  }
  return attrs;
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
