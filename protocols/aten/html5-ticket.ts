import { AtenError } from '../errors.js';
import { ATEN_CREDENTIAL_FIELD_BYTES } from './constants.js';

/**
 * What the HTML5 iKVM (Supermicro's WebSocket console, variant C of the notes) presents in the ATEN
 * type-16 answer. There are no JNLP tokens: the web interface's bootstrap page
 * (`url_name=man_ikvm_html5_bootstrap`) carries a one-time ticket in a hidden `entry_value` input,
 * and the 48 bytes after the 24-byte challenge are made from it. Two layouts were each seen working
 * on real boards by a public client, and nothing in the handshake says which one a board wants:
 *
 * - `whole`: the ticket in the 24-byte user field, the password field all zeros. The firmware's own
 *   page (`rfb.js` `_negotiate_insyde_auth`) sends the user field and never the password
 *   (DoyunShin/ikvm-gw M0_RESULT.md §2, verified live on an X11-era board).
 * - `split`: ticket bytes 0..15 in the user field and 15..24 in the password field, each NUL-padded
 *   (kookyleo/ikvmt `protocol.rs` `auth_response`, live-tested on X10 BMC firmware 4.00, whose
 *   ticket may be longer than 24 characters; the rest is not sent).
 */
export type AtenHtml5TicketLayout = 'whole' | 'split';

/** kookyleo/ikvmt accepts tickets of 24 to 256 printable ASCII characters; anything else is not a ticket. */
export const ATEN_HTML5_TICKET_MAX_CHARS = 256;
const SPLIT_USER_CHARS = 15;
const SPLIT_PASSWORD_CHARS = 9;

/** The two 24-byte credential fields of the ATEN handshake for an HTML5 ticket (new buffers). */
export function atenHtml5Credentials(ticket: string, layout: AtenHtml5TicketLayout): { username: Buffer; password: Buffer } {
  if (ticket.length === 0 || ticket.length > ATEN_HTML5_TICKET_MAX_CHARS || !/^[\x21-\x7e]+$/.test(ticket)) {
    // The ticket is never quoted: it is a credential.
    throw new AtenError(
      'ATEN_ERR_TICKET',
      `the HTML5 ticket must be 1-${ATEN_HTML5_TICKET_MAX_CHARS} printable ASCII characters (got ${ticket.length} characters)`,
      'entry_value',
    );
  }
  const bytes = Buffer.from(ticket, 'latin1');
  const username = Buffer.alloc(ATEN_CREDENTIAL_FIELD_BYTES);
  const password = Buffer.alloc(ATEN_CREDENTIAL_FIELD_BYTES);
  if (layout === 'whole') {
    if (bytes.length > ATEN_CREDENTIAL_FIELD_BYTES) {
      throw new AtenError(
        'ATEN_ERR_CREDENTIAL_TOO_LONG',
        `an HTML5 ticket of ${bytes.length} characters does not fit the ${ATEN_CREDENTIAL_FIELD_BYTES}-byte user field (try html5TicketLayout: split)`,
        'entry_value',
      );
    }
    bytes.copy(username);
  } else {
    if (bytes.length < SPLIT_USER_CHARS + SPLIT_PASSWORD_CHARS) {
      throw new AtenError(
        'ATEN_ERR_TICKET',
        `the split layout needs a ticket of at least ${SPLIT_USER_CHARS + SPLIT_PASSWORD_CHARS} characters (got ${bytes.length})`,
        'entry_value',
      );
    }
    bytes.copy(username, 0, 0, SPLIT_USER_CHARS);
    bytes.copy(password, 0, SPLIT_USER_CHARS, SPLIT_USER_CHARS + SPLIT_PASSWORD_CHARS);
  }
  return { username, password };
}
