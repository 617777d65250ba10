import { describe, expect, it } from 'vitest';
import { JnlpError, parseJnlp } from '../../../../../src/sources/aten/jnlp.js';

// Shapes of real JNLPs (notes §6.2): old X9 with 8 arguments, TLS-era with 10.
const OLD = `<?xml version="1.0" encoding="UTF-8"?>
<jnlp spec="1.0+" codebase="http://10.0.0.9:80/">
  <information><title>ATEN Java iKVM Viewer</title></information>
  <application-desc main-class="tw.com.aten.ikvm.KVMMain">
    <argument>10.0.0.9</argument>
    <argument>Cl8xFRaBRZTRMIR</argument>
    <argument>jwGwerg==</argument>
    <argument>null</argument>
    <argument>5900</argument>
    <argument>623</argument>
    <argument>2</argument>
    <argument>0</argument>
  </application-desc>
</jnlp>`;

const TLS = OLD.replace('<argument>5900</argument>', '<argument>63630</argument>').replace(
  '<argument>0</argument>\n',
  '<argument>0</argument>\n    <argument>1</argument>\n    <argument>5900</argument>\n',
);

describe('parseJnlp', () => {
  it('reads host, one-time user/password and the plain KVM port from an 8-argument JNLP', () => {
    expect(parseJnlp(OLD)).toMatchObject({ host: '10.0.0.9', username: 'Cl8xFRaBRZTRMIR', password: 'jwGwerg==', port: 5900, tls: false });
  });

  it('uses argument 9 with TLS when argument 8 is "1"', () => {
    expect(parseJnlp(TLS)).toMatchObject({ port: 5900, tls: true });
    expect(parseJnlp(TLS).arguments).toHaveLength(10);
  });

  it('decodes the predefined entities, numeric references and CDATA; ignores commented-out arguments', () => {
    const j = OLD.replace('jwGwerg==', 'a&amp;b&#60;&#x3e;&quot;').replace(
      '<argument>null</argument>',
      '<!-- <argument>x</argument> --><argument><![CDATA[n<u>ll]]></argument>',
    );
    const r = parseJnlp(j);
    expect(r.password).toBe('a&b<>"');
    expect(r.arguments[3]).toBe('n<u>ll');
    expect(r.arguments).toHaveLength(8);
  });

  it('refuses DTDs, unknown entities, markup in arguments, missing parts, bad ports, huge input', () => {
    const bad = [
      '<!DOCTYPE jnlp [<!ENTITY x "y">]>' + OLD,
      OLD.replace('jwGwerg==', '&x;'),
      OLD.replace('jwGwerg==', 'a<b/>'),
      '<html>File Not Found</html>',
      OLD.replace(/<application-desc[\s\S]*<\/application-desc>/, ''),
      OLD.replace('<argument>5900</argument>', '<argument>99999</argument>'),
      OLD + ' '.repeat(300 * 1024),
      OLD.replace('</application-desc>', '</application-desc><application-desc></application-desc>'),
    ];
    for (const b of bad) expect(() => parseJnlp(b)).toThrow(JnlpError);
  });
});
