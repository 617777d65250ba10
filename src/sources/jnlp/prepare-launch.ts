import { GatewayError } from '../../errors.js';
import { jarMainClass, zipEntries, zipRead, ZipError } from '../../util/zip.js';
import { MAX_JAR_BYTES, type JarCache } from './jar-cache.js';
import type { JnlpOriginClient } from './jnlp-fetch.js';
import { JnlpDocumentError, readJnlpDocument, type JnlpDocument } from './jnlp-document.js';

/** What a session needs before its sandbox starts: the parsed JNLP, its jars (cached) and native libraries. */
export interface PreparedLaunch {
  doc: JnlpDocument;
  mainClass: string;
  /** The jars' bytes by cache name (`<sha256>.jar`), in JNLP order; nativelib jars excluded. */
  jars: { name: string; data: Buffer }[];
  /** Native libraries taken out of the nativelib jars. */
  nativeLibraries: { name: string; data: Buffer }[];
  /** Jars that came from the cache (the rest were downloaded now). */
  cachedJars: number;
}

/** A native library's name as it may be written into the sandbox (nothing but a plain file name). */
const NATIVE_NAME = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,99}\.so(\.\d+)*$/;
const MAX_NATIVE_BYTES = 64 * 1024 * 1024;

/** Fetches the JNLP from `origin`, reads it, and gets its jars through `cache`. Errors are GatewayErrors. */
export async function prepareLaunch(origin: JnlpOriginClient, cache: JarCache): Promise<PreparedLaunch> {
  const { text, url } = await origin.document();
  let doc: JnlpDocument;
  try {
    doc = readJnlpDocument(text, url);
  } catch (e) {
    if (e instanceof JnlpDocumentError) {
      throw new GatewayError(
        e.kind === 'unsupported' ? 'GW_ERR_BMC_UNSUPPORTED' : 'GW_ERR_BMC_PROTOCOL',
        `the JNLP from ${url.origin}${url.pathname}: ${e.message}`,
        { cause: e },
      );
    }
    throw e;
  }
  const jars: PreparedLaunch['jars'] = [];
  const nativeLibraries: PreparedLaunch['nativeLibraries'] = [];
  let cachedJars = 0;
  let mainJar: Buffer | undefined;
  let firstJar: Buffer | undefined;
  let nativeBytes = 0;
  for (const jar of doc.jars) {
    const jarUrl = origin.jarUrl(jar.url);
    const got = await cache.get(jarUrl, () => origin.download(jarUrl, MAX_JAR_BYTES));
    if (got.cached) cachedJars++;
    try {
      if (jar.native) {
        for (const e of zipEntries(got.data)) {
          if (!NATIVE_NAME.test(e.name)) continue; // only top-level libraries (JSR-56 §4.4); never a path
          const data = zipRead(got.data, e, MAX_NATIVE_BYTES - nativeBytes);
          nativeBytes += data.length;
          nativeLibraries.push({ name: e.name, data });
        }
        continue;
      }
      zipEntries(got.data); // a jar that is not a zip fails here, not as a ClassNotFoundException in the sandbox
    } catch (e) {
      if (e instanceof ZipError)
        throw new GatewayError('GW_ERR_BMC_PROTOCOL', `${jarUrl.pathname} from the JNLP is not a usable jar: ${e.message}`, { cause: e });
      throw e;
    }
    jars.push({ name: got.name, data: got.data });
    if (jar.main) mainJar ??= got.data;
    else firstJar ??= got.data;
  }
  if (jars.length === 0) throw new GatewayError('GW_ERR_BMC_PROTOCOL', 'the JNLP names only native libraries, no jar to run');
  let mainClass = doc.mainClass;
  if (mainClass === undefined) {
    try {
      mainClass = jarMainClass((mainJar ?? firstJar)!);
    } catch (e) {
      throw new GatewayError('GW_ERR_BMC_PROTOCOL', `cannot read the main jar's manifest: ${(e as Error).message}`, { cause: e });
    }
  }
  if (mainClass === undefined) throw new GatewayError('GW_ERR_BMC_PROTOCOL', "the JNLP names no main-class and the main jar's manifest has no Main-Class");
  return { doc, mainClass, jars, nativeLibraries, cachedJars };
}
