import { JnlpError, parseJnlp } from '../../src/sources/aten/jnlp.js';
import { JnlpDocumentError, readJnlpDocument } from '../../src/sources/jnlp/jnlp-document.js';
import { jarMainClass, zipEntries, zipRead, ZipError } from '../../src/util/zip.js';
import { zipFiles } from '../../test/helpers/java/zip-writer.js';
import type { FuzzTarget } from '../types.js';

const FROM = new URL('https://10.0.3.20/cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk');

/** A Supermicro iKVM JNLP as X9/X10 firmware sends it (the shape of the ATEN notes §6.2, the unit tests' document). */
const SUPERMICRO = `<?xml version="1.0" encoding="UTF-8"?>
<jnlp spec="1.0+" codebase="http://10.0.3.20:80/">
  <information><title>ATEN Java iKVM Viewer</title><vendor>ATEN</vendor></information>
  <security><all-permissions/></security>
  <resources>
    <property name="jnlp.packEnabled" value="true"/>
    <j2se version="1.6.0+" initial-heap-size="128M" max-heap-size="128M" java-vm-args="-XX:PermSize=32M"/>
    <jar href="iKVM__V1.69.21.0x0.jar" download="eager" main="true"/>
  </resources>
  <resources os="Windows" arch="x86"><nativelib href="libwin_x86__V1.0.5.jar" download="eager"/></resources>
  <resources os="Linux" arch="amd64"><nativelib href="liblinux_x86_64__V1.0.5.jar" download="eager"/></resources>
  <application-desc main-class="tw.com.aten.ikvm.KVMMain">
    <!-- <argument>not-this-one</argument> -->
    <argument>10.0.3.20</argument>
    <argument>Fx7Qp0aAXsUusbK</argument>
    <argument>a&amp;b&lt;c&#x41;&#66;</argument>
    <argument>null</argument>
    <argument>5900</argument>
    <argument>623</argument>
    <argument>2</argument>
    <argument>1</argument>
    <argument>1</argument>
    <argument><![CDATA[5901]]></argument>
  </application-desc>
</jnlp>`;

/** An iDRAC 7/8-style JNLP: relative codebase, no main class (the jar's manifest names it), applet refused. */
const IDRAC = `<?xml version="1.0" encoding="UTF-8"?>
<jnlp codebase="/software/" spec="1.0+">
  <information><title>Virtual Console Client</title></information>
  <application-desc><argument>ip=10.0.3.21</argument><argument>user=1</argument></application-desc>
  <security><all-permissions/></security>
  <resources><j2se version="1.6+" max-heap-size="256m"/><jar href="avctKVM.jar" download="eager" main="true"/></resources>
  <resources os="Linux" arch="x86_64"><nativelib href="avctKVMIOLinux64.jar" download="eager"/><property name="a" value="b"/></resources>
</jnlp>`;

/** JNLP documents (Java fallback, ATEN JNLP logins) as the gateway reads them. */
export const jnlp: FuzzTarget = {
  name: 'jnlp',
  description: 'JNLP documents: readJnlpDocument (Java fallback: saxes, codebase, jars, arguments, properties, heap) and parseJnlp (ATEN iKVM arguments)',
  coverage: ['/src/sources/jnlp/jnlp-document', '/src/sources/aten/jnlp'],
  seeds: () => [
    Buffer.from(SUPERMICRO),
    Buffer.from(IDRAC),
    Buffer.from('<jnlp codebase="https://h/app/"><resources><jar href="a.jar"/></resources><application-desc main-class="a.B"/></jnlp>'),
  ],
  run(input) {
    const text = input.toString('utf8');
    let a: string;
    try {
      const d = readJnlpDocument(text, FROM);
      a = `doc:${d.jars.length}:${d.arguments.length}:${d.mainClass ? 'main' : '-'}`;
    } catch (err) {
      if (!(err instanceof JnlpDocumentError)) throw err;
      a = `doc:${err.kind}`;
    }
    try {
      const k = parseJnlp(text);
      return `${a} aten:${k.tls}:${Math.min(k.arguments.length, 12)}`;
    } catch (err) {
      if (!(err instanceof JnlpError)) throw err;
      return `${a} aten:err`;
    }
  },
  expected: () => false,
};

const MANIFEST = Buffer.from(
  'Manifest-Version: 1.0\r\nCreated-By: 1.6.0_45 (Sun Microsystems Inc.)\r\nMain-Class: tw.com.aten.ikvm.KVMMa\r\n in\r\n\r\nName: x\r\n',
);

/** Jars the Java fallback downloads from a BMC: the zip reader (central directory, local headers, inflate) and the manifest. */
export const jar: FuzzTarget = {
  name: 'jar',
  description:
    'jar/zip files from a BMC: zipEntries (end record, central directory), zipRead (stored, deflated, bounded), jarMainClass (manifest continuation lines)',
  coverage: ['/src/util/zip'],
  seeds: () => [
    zipFiles([
      { name: 'META-INF/MANIFEST.MF', data: MANIFEST },
      { name: 'tw/com/aten/ikvm/KVMMain.class', data: Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 50]) },
    ]),
    zipFiles([
      { name: 'META-INF/MANIFEST.MF', data: MANIFEST, store: true },
      { name: 'libiKVM64.so', data: Buffer.alloc(200, 0x7f), store: true },
      { name: 'libSharedLibrary64.so', data: Buffer.alloc(300, 0x45) },
    ]),
  ],
  run(input) {
    let read = 0;
    let entries;
    try {
      entries = zipEntries(input);
    } catch (err) {
      if (err instanceof ZipError) return 'entries:err';
      throw err;
    }
    for (const e of entries.slice(0, 64)) {
      try {
        read += zipRead(input, e, 1 << 20).length > 0 ? 1 : 0;
      } catch (err) {
        if (!(err instanceof ZipError)) throw err;
      }
    }
    let main = 'none';
    try {
      main = jarMainClass(input) === undefined ? 'none' : 'main';
    } catch (err) {
      if (!(err instanceof ZipError)) throw err;
      main = 'err';
    }
    return `${Math.min(entries.length, 8)}:${Math.min(read, 8)}:${main}`;
  },
  expected: (err) => err instanceof ZipError,
};
