import { AtenError } from '../../protocols/errors.js';
import { atenHtml5Credentials } from '../../protocols/aten/html5-ticket.js';
import { parseHtml5Bootstrap } from '../../src/sources/aten/html5-bootstrap.js';
import type { FuzzTarget } from '../types.js';

/**
 * Supermicro's HTML5 iKVM bootstrap page, in the shapes public clients met (the unit tests' pages:
 * DoyunShin/ikvm-gw, kookyleo/ikvmt), and around it the kind of page the firmware serves.
 */
const PAGES = [
  `<html><head><title>iKVM</title><script src="/js/rfb.js"></script></head><body>
<input type="hidden" id="entry_value" value="BR2/XCGBLuhswneDsPUXjA==">
<script>SmcCsrfInsert ("CSRF-TOKEN", "8PBPDfagrHgy70lAmGH18Zj3EdfJ43S+bAGxM7m/xE0");</script></body></html>`,
  `<INPUT value='0123456789abcdefghijklmn' ID='entry_value'/><script>SmcCsrfInsert('CSRF_TOKEN','tok123')</script>`,
  `<input name="entry_value" value="0123456789abcdefghijklmnopqrstuvwxyz0123456789">`,
  '<body onload="logout_alert()">session expired</body>',
];

/** The HTML5 console's bootstrap page (untrusted, from the BMC) and the ticket it yields, laid into ATEN's credential fields. */
export const atenHtml5: FuzzTarget = {
  name: 'aten-html5',
  description: 'ATEN HTML5 iKVM: parseHtml5Bootstrap (entry_value ticket, SmcCsrfInsert header) and atenHtml5Credentials (whole and split layouts)',
  coverage: ['/src/sources/aten/html5-bootstrap', '/protocols/aten/html5-ticket'],
  seeds: () => PAGES.map((p) => Buffer.from(p)),
  run(input) {
    const page = parseHtml5Bootstrap(input.toString('utf8'));
    if (!page) return 'no-ticket';
    if (page.csrf && (/[\r\n"']/.test(page.csrf.token) || !/^[A-Za-z][\w-]*$/.test(page.csrf.header)))
      throw new Error('a CSRF header or token that would break out of its header line');
    const out = [page.csrf ? 'csrf' : 'no-csrf'];
    for (const layout of ['whole', 'split'] as const) {
      try {
        const c = atenHtml5Credentials(page.entryValue, layout);
        if (c.username.length !== 24 || c.password.length !== 24) throw new Error(`credential fields of ${c.username.length}/${c.password.length} bytes`);
        out.push(`${layout}:ok`);
      } catch (err) {
        if (!(err instanceof AtenError)) throw err;
        out.push(`${layout}:${err.code}`);
      }
    }
    return out.join(' ');
  },
  expected: () => false,
};
