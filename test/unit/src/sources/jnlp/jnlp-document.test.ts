import { describe, expect, it } from 'vitest';
import { JNLP_LIMITS, JnlpDocumentError, readJnlpDocument } from '../../../../../src/sources/jnlp/jnlp-document.js';

const FROM = new URL('https://10.0.3.20/cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk');

/** A Supermicro iKVM JNLP as X9/X10 firmware sends it (shape from the ATEN notes §6.2; values made up). */
const SUPERMICRO = `<?xml version="1.0" encoding="UTF-8"?>
<jnlp spec="1.0+" codebase="http://10.0.3.20:80/">
  <information>
    <title>ATEN Java iKVM Viewer</title>
    <vendor>ATEN</vendor>
    <description>Java Web Start Application</description>
  </information>
  <security><all-permissions/></security>
  <resources>
    <property name="jnlp.packEnabled" value="true"/>
    <j2se version="1.6.0+" initial-heap-size="128M" max-heap-size="128M" java-vm-args="-XX:PermSize=32M -XX:MaxPermSize=32M"/>
    <jar href="iKVM__V1.69.21.0x0.jar" download="eager" main="true"/>
  </resources>
  <resources os="Windows" arch="x86"><nativelib href="libwin_x86__V1.0.5.jar" download="eager"/></resources>
  <resources os="Linux" arch="i386"><nativelib href="liblinux_x86__V1.0.5.jar" download="eager"/></resources>
  <resources os="Linux" arch="x86_64"><nativelib href="liblinux_x86_64__V1.0.5.jar" download="eager"/></resources>
  <resources os="Linux" arch="amd64"><nativelib href="liblinux_x86_64__V1.0.5.jar" download="eager"/></resources>
  <resources os="Mac OS X" arch="x86_64"><nativelib href="libmac_x86_64__V1.0.5.jar" download="eager"/></resources>
  <application-desc main-class="tw.com.aten.ikvm.KVMMain">
    <argument>10.0.3.20</argument>
    <argument>Fx7Qp0aAXsUusbK</argument>
    <argument>a&amp;b&lt;c&#x41;&#66;</argument>
    <argument>null</argument>
    <argument>5900</argument>
    <argument>623</argument>
    <argument>2</argument>
    <argument>0</argument>
    <argument><![CDATA[<raw & text>]]></argument>
  </application-desc>
</jnlp>`;

function refused(text: string, kind: 'malformed' | 'unsupported', pattern: RegExp): void {
  let err: unknown;
  try {
    readJnlpDocument(text, FROM);
  } catch (e) {
    err = e;
  }
  expect(err, 'the document was accepted').toBeInstanceOf(JnlpDocumentError);
  expect((err as JnlpDocumentError).kind).toBe(kind);
  expect((err as Error).message).toMatch(pattern);
}

const minimal = (inner: string, app = '<application-desc main-class="a.B"/>') =>
  `<jnlp codebase="https://h/app/"><resources><jar href="a.jar"/>${inner}</resources>${app}</jnlp>`;

describe('readJnlpDocument', () => {
  it('reads a Supermicro JNLP: jars and native libraries for Linux/amd64 only, heap sizes, properties, arguments decoded', () => {
    const d = readJnlpDocument(SUPERMICRO, FROM);
    expect(d.codebase.href).toBe('http://10.0.3.20/');
    expect(d.mainClass).toBe('tw.com.aten.ikvm.KVMMain');
    expect(d.title).toBe('ATEN Java iKVM Viewer');
    expect(d.jars.map((j) => [j.url.href, j.main, j.native])).toEqual([
      ['http://10.0.3.20/iKVM__V1.69.21.0x0.jar', true, false],
      ['http://10.0.3.20/liblinux_x86_64__V1.0.5.jar', false, true],
      ['http://10.0.3.20/liblinux_x86_64__V1.0.5.jar', false, true],
    ]);
    expect(d.properties).toEqual([['jnlp.packEnabled', 'true']]);
    expect(d.initialHeapBytes).toBe(128 * 1024 * 1024);
    expect(d.maxHeapBytes).toBe(128 * 1024 * 1024);
    expect(d.arguments).toEqual(['10.0.3.20', 'Fx7Qp0aAXsUusbK', 'a&b<cAB', 'null', '5900', '623', '2', '0', '<raw & text>']);
  });

  it('resolves a relative codebase against the URL it came from, and hrefs against the codebase', () => {
    const d = readJnlpDocument(
      '<jnlp codebase="viewer"><resources><jar href="lib/v.jar"/></resources><application-desc/></jnlp>',
      new URL('https://bmc.example:8443/x/launch.jnlp'),
    );
    expect(d.codebase.href).toBe('https://bmc.example:8443/x/viewer/');
    expect(d.jars[0]!.url.href).toBe('https://bmc.example:8443/x/viewer/lib/v.jar');
    expect(d.mainClass).toBeUndefined();
    expect(d.arguments).toEqual([]);
  });

  it('takes <java> like <j2se>, and heap sizes in k/m/g or bytes', () => {
    const d = readJnlpDocument(minimal('<java version="17+" initial-heap-size="65536" max-heap-size="1g"/>'), FROM);
    expect(d.initialHeapBytes).toBe(65536);
    expect(d.maxHeapBytes).toBe(1024 ** 3);
  });

  it('refuses a DOCTYPE (no DTD, no entity is ever expanded) and undefined entities', () => {
    refused('<?xml version="1.0"?><!DOCTYPE jnlp [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><jnlp>&b;</jnlp>', 'malformed', /DOCTYPE/);
    refused('<!DOCTYPE jnlp SYSTEM "file:///etc/passwd"><jnlp/>', 'malformed', /DOCTYPE/);
    refused(minimal('', '<application-desc><argument>&xxe;</argument></application-desc>'), 'malformed', /not well-formed/);
  });

  it('refuses what is not well-formed or not a JNLP', () => {
    refused('<jnlp><resources></jnlp>', 'malformed', /not well-formed/);
    refused('', 'malformed', /no element|not well-formed/);
    refused('<html><body>login</body></html>', 'malformed', /<html>, not <jnlp>/);
    refused('<jnlp><application-desc/></jnlp>', 'malformed', /no <jar>/);
  });

  it('says which JNLPs it cannot run: applets, installers, extensions, no application', () => {
    refused(
      '<jnlp><resources><jar href="a.jar"/></resources><applet-desc main-class="A" name="a" width="1" height="1"/></jnlp>',
      'unsupported',
      /<applet-desc> is not supported/,
    );
    refused('<jnlp><resources><jar href="a.jar"/></resources><installer-desc/></jnlp>', 'unsupported', /installer-desc/);
    refused(minimal('<extension href="more.jnlp"/>'), 'unsupported', /extension/);
    refused('<jnlp><resources><jar href="a.jar"/></resources></jnlp>', 'unsupported', /expected one <application-desc>, found none/);
    refused(minimal('', '<application-desc/><application-desc/>'), 'unsupported', /found <application-desc>, <application-desc>/);
  });

  it('refuses hrefs that are not http(s), class names that are not Java names, odd property names and heap sizes', () => {
    refused(minimal('<jar href="file:///etc/passwd"/>'), 'malformed', /not http\(s\)/);
    refused(minimal('<nativelib href="javascript:alert(1)"/>'), 'malformed', /not http\(s\)/);
    refused(minimal('<jar/>'), 'malformed', /without href/);
    refused(minimal('', '<application-desc main-class="a.B; rm -rf /"/>'), 'malformed', /not a Java class name/);
    refused(minimal('<property name="a b" value="x"/>'), 'malformed', /not a property name/);
    refused(minimal('<j2se max-heap-size="lots"/>'), 'malformed', /heap size/);
  });

  it('bounds size, element count, depth, values, arguments and jars before they grow', () => {
    refused(`<jnlp>${' '.repeat(JNLP_LIMITS.maxBytes)}</jnlp>`, 'malformed', /exceed/);
    refused(`<jnlp>${'<a>'.repeat(20)}${'</a>'.repeat(20)}</jnlp>`, 'malformed', /nested deeper/);
    refused(`<jnlp>${'<x/>'.repeat(JNLP_LIMITS.maxElements + 1)}</jnlp>`, 'malformed', /more than \d+ elements/);
    refused(minimal(`<property name="p" value="${'v'.repeat(JNLP_LIMITS.maxValueChars + 1)}"/>`), 'malformed', /longer than/);
    refused(
      minimal('', `<application-desc>${'<argument>x</argument>'.repeat(JNLP_LIMITS.maxArguments + 1)}</application-desc>`),
      'malformed',
      /arguments exceed/,
    );
    refused(minimal('<jar href="b.jar"/>'.repeat(JNLP_LIMITS.maxJars)), 'malformed', /jars exceed/);
  });
});
