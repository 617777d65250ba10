import { SaxesParser, type SaxesTagPlain } from 'saxes';

/**
 * Reads a Java Web Start descriptor (JNLP, JSR-56 "Java Network Launching Protocol" 6.0.18, §3-§5)
 * into what the gateway needs to run the application itself, without javaws: the jars, native
 * libraries, properties, heap sizes, the main class and its arguments.
 *
 * The document comes from a BMC and is untrusted. saxes is a strict XML 1.0 parser that does not
 * process DTDs: a DOCTYPE is refused outright here (no entity of any kind is expanded), and sizes and
 * counts are bounded before anything grows. Only the elements below are read; the rest (information,
 * security, update, …) are skipped.
 */
export const JNLP_LIMITS = Object.freeze({
  maxBytes: 256 * 1024,
  maxElements: 4000,
  maxJars: 64,
  maxArguments: 256,
  maxProperties: 256,
  maxValueChars: 8192,
  maxDepth: 16,
});

export interface JnlpJar {
  /** The href as written, resolved against the codebase. */
  url: URL;
  /** `<jar main="true">`. */
  main: boolean;
  /** `<nativelib>`: a jar of native libraries for java.library.path. */
  native: boolean;
}

export interface JnlpDocument {
  /** `<jnlp codebase>` resolved against the URL the document came from. */
  codebase: URL;
  /** `<application-desc main-class>`; undefined when the main jar's manifest names it. */
  mainClass: string | undefined;
  arguments: string[];
  /** `<property name value>` of the resources that apply to Linux/amd64, in document order (a later one wins). */
  properties: [string, string][];
  jars: JnlpJar[];
  /** `<j2se initial-heap-size / max-heap-size>` in bytes. */
  initialHeapBytes: number | undefined;
  maxHeapBytes: number | undefined;
  /** `<information><title>`, for logs. */
  title: string | undefined;
}

/** A JNLP the gateway cannot read (malformed, over a limit) or cannot run (applet, installer, extension). */
export class JnlpDocumentError extends Error {
  constructor(
    message: string,
    /** `unsupported`: well-formed but asks for something this launcher does not do. */
    readonly kind: 'malformed' | 'unsupported',
  ) {
    super(message);
    this.name = 'JnlpDocumentError';
  }
}

interface Element {
  name: string;
  attributes: Record<string, string>;
  children: Element[];
  text: string;
}

/** Parses `text`, fetched from `documentUrl` (relative codebases and hrefs resolve against it). */
export function readJnlpDocument(text: string, documentUrl: URL): JnlpDocument {
  const root = parseXml(text);
  if (root.name !== 'jnlp') throw new JnlpDocumentError(`the root element is <${root.name}>, not <jnlp>`, 'malformed');
  // No codebase: hrefs are relative to the JNLP's own folder. A codebase names a folder:
  // "http://h/app" and "http://h/app/" mean the same (JSR-56 §3.2.1).
  const codebase = resolve(root.attributes.codebase ?? '.', documentUrl, 'jnlp codebase');
  if (!codebase.pathname.endsWith('/')) codebase.pathname += '/';

  for (const unsupported of ['applet-desc', 'installer-desc', 'component-desc'] as const) {
    if (root.children.some((c) => c.name === unsupported)) {
      throw new JnlpDocumentError(`<${unsupported}> is not supported: the gateway runs <application-desc> programs only`, 'unsupported');
    }
  }
  const apps = root.children.filter((c) => c.name === 'application-desc' || c.name === 'javafx-desc');
  if (apps.length !== 1 || apps[0]!.name !== 'application-desc') {
    throw new JnlpDocumentError(
      `expected one <application-desc>, found ${apps.length === 0 ? 'none' : apps.map((a) => `<${a.name}>`).join(', ')}`,
      'unsupported',
    );
  }
  const app = apps[0]!;
  const args = app.children.filter((c) => c.name === 'argument').map((c) => c.text.trim());
  if (args.length > JNLP_LIMITS.maxArguments) throw new JnlpDocumentError(`${args.length} arguments exceed ${JNLP_LIMITS.maxArguments}`, 'malformed');
  const mainClass = app.attributes['main-class']?.trim() || undefined;
  if (mainClass !== undefined) checkClassName(mainClass);

  const jars: JnlpJar[] = [];
  const properties: [string, string][] = [];
  let initialHeapBytes: number | undefined;
  let maxHeapBytes: number | undefined;
  for (const res of root.children.filter((c) => c.name === 'resources' && appliesHere(c))) {
    for (const el of res.children) {
      switch (el.name) {
        case 'jar':
        case 'nativelib': {
          const href = el.attributes.href;
          if (!href) throw new JnlpDocumentError(`<${el.name}> without href`, 'malformed');
          jars.push({ url: resolve(href, codebase, `<${el.name} href>`), main: el.attributes.main === 'true', native: el.name === 'nativelib' });
          break;
        }
        case 'property': {
          const name = el.attributes.name;
          if (!name || !/^[A-Za-z0-9_.$-]{1,200}$/.test(name))
            throw new JnlpDocumentError(`<property name=${JSON.stringify(name ?? '')}> is not a property name`, 'malformed');
          properties.push([name, el.attributes.value ?? '']);
          break;
        }
        case 'j2se':
        case 'java':
          initialHeapBytes = heapSize(el.attributes['initial-heap-size']) ?? initialHeapBytes;
          maxHeapBytes = heapSize(el.attributes['max-heap-size']) ?? maxHeapBytes;
          break;
        case 'extension':
          throw new JnlpDocumentError(
            `<extension href=${JSON.stringify(el.attributes.href ?? '')}> is not supported (the gateway does not load extension JNLPs)`,
            'unsupported',
          );
      }
    }
  }
  if (jars.length === 0) throw new JnlpDocumentError('no <jar> for Linux/amd64', 'malformed');
  if (jars.length > JNLP_LIMITS.maxJars) throw new JnlpDocumentError(`${jars.length} jars exceed ${JNLP_LIMITS.maxJars}`, 'malformed');
  if (properties.length > JNLP_LIMITS.maxProperties)
    throw new JnlpDocumentError(`${properties.length} properties exceed ${JNLP_LIMITS.maxProperties}`, 'malformed');
  const title = root.children
    .find((c) => c.name === 'information')
    ?.children.find((c) => c.name === 'title')
    ?.text.trim();
  return { codebase, mainClass, arguments: args, properties, jars, initialHeapBytes, maxHeapBytes, title: title || undefined };
}

/**
 * JSR-56 §4.2: a `<resources os arch>` applies when one of the space-separated values is a prefix of
 * os.name / os.arch. The sandbox is Linux on amd64; x86_64 is the same machine under another name
 * (Supermicro JNLPs list both).
 */
function appliesHere(res: Element): boolean {
  const matches = (attr: string | undefined, names: string[]) =>
    attr === undefined ||
    attr.trim() === '' ||
    attr
      .trim()
      .split(/\s+/)
      .some((v) => names.some((n) => n.toLowerCase().startsWith(v.toLowerCase())));
  return matches(res.attributes.os, ['Linux']) && matches(res.attributes.arch, ['amd64', 'x86_64']);
}

/** "128m", "1g", "65536" (JSR-56 §4.6: a number with an optional k/m/g suffix). */
function heapSize(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d{1,12})\s*([kKmMgG]?)\s*$/.exec(v);
  if (!m) throw new JnlpDocumentError(`heap size ${JSON.stringify(v)} is not a number with k, m or g`, 'malformed');
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

function checkClassName(name: string): void {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$/.test(name) || name.length > 500) {
    throw new JnlpDocumentError(`main-class ${JSON.stringify(name)} is not a Java class name`, 'malformed');
  }
}

function resolve(href: string, base: URL, what: string): URL {
  let u: URL;
  try {
    u = new URL(href, base);
  } catch {
    throw new JnlpDocumentError(`${what} ${JSON.stringify(href)} is not a URL`, 'malformed');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new JnlpDocumentError(`${what} ${JSON.stringify(href)} is not http(s)`, 'malformed');
  return u;
}

/** A small element tree from saxes events, with every limit checked as it grows. */
function parseXml(text: string): Element {
  if (text.length > JNLP_LIMITS.maxBytes) throw new JnlpDocumentError(`${text.length} characters exceed ${JNLP_LIMITS.maxBytes}`, 'malformed');
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: Element[] = [];
  let root: Element | undefined;
  let count = 0;
  let error: JnlpDocumentError | undefined;
  const fail = (message: string) => {
    error ??= new JnlpDocumentError(message, 'malformed');
  };
  parser.on('doctype', () => fail('the document has a DOCTYPE; refused (no DTD is processed)'));
  parser.on('opentag', (tag: SaxesTagPlain) => {
    if (++count > JNLP_LIMITS.maxElements) return fail(`more than ${JNLP_LIMITS.maxElements} elements`);
    if (stack.length >= JNLP_LIMITS.maxDepth) return fail(`elements nested deeper than ${JNLP_LIMITS.maxDepth}`);
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(tag.attributes)) {
      if (v.length > JNLP_LIMITS.maxValueChars) return fail(`attribute ${k} of <${tag.name}> is longer than ${JNLP_LIMITS.maxValueChars} characters`);
      attributes[k] = v;
    }
    const el: Element = { name: tag.name, attributes, children: [], text: '' };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else root = el;
    stack.push(el);
  });
  const addText = (t: string) => {
    const el = stack[stack.length - 1];
    if (!el) return;
    if (el.text.length + t.length > JNLP_LIMITS.maxValueChars) return fail(`the text of <${el.name}> is longer than ${JNLP_LIMITS.maxValueChars} characters`);
    el.text += t;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('closetag', () => void stack.pop());
  parser.on('error', (e: Error) => fail(`not well-formed XML: ${e.message}`));
  try {
    parser.write(text).close();
  } catch (e) {
    fail(`not well-formed XML: ${(e as Error).message}`);
  }
  if (error) throw error;
  if (!root) throw new JnlpDocumentError('the document has no element', 'malformed');
  return root;
}
