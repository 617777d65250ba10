import { describe, expect, it } from 'vitest';
import { parseHtml5Bootstrap } from '../../../../../src/sources/aten/html5-bootstrap.js';

describe('parseHtml5Bootstrap (the HTML5 iKVM bootstrap page, untrusted)', () => {
  it('reads entry_value and the CSRF header in the shapes public clients met', () => {
    // Double quotes, type before id, "CSRF-TOKEN" with a space before the parenthesis.
    expect(
      parseHtml5Bootstrap(`<html><input type="hidden" id="entry_value" value="BR2/XCGBLuhswneDsPUXjA==">
      <script>SmcCsrfInsert ("CSRF-TOKEN", "8PBPDfagrHgy70lAmGH18Zj3EdfJ43S+bAGxM7m/xE0");</script></html>`),
    ).toEqual({
      entryValue: 'BR2/XCGBLuhswneDsPUXjA==',
      csrf: { header: 'CSRF-TOKEN', token: '8PBPDfagrHgy70lAmGH18Zj3EdfJ43S+bAGxM7m/xE0' },
    });
    // Single quotes, value before id (kookyleo/ikvmt's test), "CSRF_TOKEN", upper-case tag.
    expect(parseHtml5Bootstrap(`<INPUT value='0123456789abcdefghijklmn' ID='entry_value'/><script>SmcCsrfInsert('CSRF_TOKEN','tok123')</script>`)).toEqual({
      entryValue: '0123456789abcdefghijklmn',
      csrf: { header: 'CSRF_TOKEN', token: 'tok123' },
    });
    // No CSRF call: the ticket alone.
    expect(parseHtml5Bootstrap(`<input id="entry_value" value="abc">`)).toEqual({ entryValue: 'abc' });
  });

  it('a page without the ticket (X9 error page, expired session) is undefined; other inputs are ignored', () => {
    expect(parseHtml5Bootstrap('<body onload="logout_alert()">session expired</body>')).toBeUndefined();
    expect(parseHtml5Bootstrap('File Not Found')).toBeUndefined();
    expect(parseHtml5Bootstrap(`<input id="entry_value_x" value="no"><input name="other" value="no">`)).toBeUndefined();
  });

  it('a CSRF token that would break out of its header is not taken', () => {
    expect(parseHtml5Bootstrap(`<input id="entry_value" value="t"><script>SmcCsrfInsert("CSRF_TOKEN", "a\r\nX-Evil: 1")</script>`)).toEqual({
      entryValue: 't',
    });
    expect(parseHtml5Bootstrap(`<input id="entry_value" value="t"><script>SmcCsrfInsert("Bad Header", "tok")</script>`)).toEqual({ entryValue: 't' });
  });

  it('reads pages of the body bound in linear time: long words, unclosed tags and quotes (fuzz: aten-html5)', () => {
    // The former patterns were quadratic on these: a 64 KiB word took 7 s; 1 MiB would take half an hour.
    const mib = 1 << 20;
    expect(parseHtml5Bootstrap(`<input ${'a'.repeat(mib)}>`)).toBeUndefined();
    expect(parseHtml5Bootstrap('<input'.repeat(mib / 6))).toBeUndefined();
    expect(parseHtml5Bootstrap(`<input ${'a="'.repeat(mib / 3)}>`)).toBeUndefined();
    expect(parseHtml5Bootstrap(`${'<input x="y">'.repeat(mib / 13)}<input id="entry_value" value="ok">`)).toEqual({ entryValue: 'ok' });
  }, 60_000);

  it('keeps the attribute rules: quoted values only, names case-insensitive, the last of a repeated attribute, <inputs> is not <input>', () => {
    expect(parseHtml5Bootstrap('<inputs id="entry_value" value="no"><input id=entry_value value="no">')).toBeUndefined();
    expect(parseHtml5Bootstrap('<Input data-x = "1" ID = "entry_value" VALUE="a" value="b">')).toEqual({ entryValue: 'b' });
    expect(parseHtml5Bootstrap('<input id="entry_value" value="unterminated>')).toBeUndefined();
  });
});
