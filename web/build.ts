import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

/**
 * Builds the browser pages (`npm run build`, `prepare`, and the test setup when web/ changed):
 * each page's TypeScript (web/src/<page>/<page>.ts) with everything it imports — noVNC and
 * xterm.js unmodified from their packages, its CSS — bundled by esbuild into one script and one
 * style sheet with content-hashed names, each also written brotli- and gzip-compressed (served as
 * they are: no compression work per request), and the page's HTML (web/<page>.html) with the hashed
 * names filled in. Output: dist/public/ (see src/api/web-assets.ts for how it is served).
 */

export const PAGES = ['console', 'sol', 'dashboard', 'replay'] as const;
export type PageName = (typeof PAGES)[number];

/** What the build wrote: read by the gateway at start (`dist/public/manifest.json`). */
export interface WebManifest {
  /** Page → URL paths of its script, style sheet and the chunks it loads (`/assets/console-HASH.js`). */
  pages: Record<PageName, PageAssets>;
  /** Every source file the bundles were made from, relative to the project root (staleness check). */
  inputs: string[];
}

export interface PageAssets {
  js: string;
  css: string | undefined;
  /** Every chunk the page's script imports, statically or with import(), directly or not. */
  preload: string[];
}

export const ASSET_PREFIX = '/assets/';
/** Compressed beside themselves; source maps (for developers, large) are not. */
const TEXT_EXT = /\.(js|css|txt)$/;
/** Below this, compression does not pay for its headers. */
const MIN_COMPRESS_BYTES = 512;

function projectRoot(): string {
  // web/build.ts runs compiled (dist/web/build.js) and from source (vitest): find package.json above.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      statSync(join(dir, 'package.json'));
      statSync(join(dir, 'web', 'build.ts'));
      return dir;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new Error('assert: web/build: cannot find the project root (package.json beside web/build.ts)');
}

export function publicDir(root = projectRoot()): string {
  return join(root, 'dist', 'public');
}

function packageVersion(root: string, name: string): string {
  return (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Builds into a fresh folder and swaps it in, so a running gateway never reads half a build. */
export async function buildWeb(root = projectRoot()): Promise<WebManifest> {
  const out = publicDir(root);
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'assets'), { recursive: true });
  const common: esbuild.BuildOptions = {
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Browsers of the last few years; noVNC itself uses top-level await (ES2022).
    target: ['es2022', 'chrome100', 'firefox100', 'safari16'],
    minify: true,
    sourcemap: 'linked',
    // The licences of what is inside travel with it: xterm.js's @license comments are kept, and noVNC
    // (MPL-2.0, whose files carry plain comments that minification drops) is named in a banner.
    legalComments: 'eof',
    banner: {
      js: `/*! bmc-gateway page script. Contains, unmodified: @novnc/novnc ${packageVersion(root, '@novnc/novnc')} (MPL-2.0, https://github.com/novnc/noVNC), @xterm/xterm ${packageVersion(root, '@xterm/xterm')} (MIT) where the page uses them. */`,
    },
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    outdir: join(tmp, 'assets'),
    metafile: true,
    write: true,
    logLevel: 'silent',
  };
  const entry = (p: PageName) => [p, `web/src/${p}/${p}.ts`] as const;
  const [consolePage, otherPages] = await Promise.all([
    // The console page is its first small script (it opens the WebSocket) and the chunk it then
    // imports (noVNC and the rest), preloaded by the HTML: the socket does not wait for noVNC.
    esbuild.build({ ...common, entryPoints: Object.fromEntries([entry('console')]), splitting: true }),
    // The other pages: one script each.
    esbuild.build({ ...common, entryPoints: Object.fromEntries(PAGES.filter((p) => p !== 'console').map(entry)) }),
  ]);
  const result = {
    metafile: {
      inputs: { ...consolePage.metafile!.inputs, ...otherPages.metafile!.inputs },
      outputs: { ...consolePage.metafile!.outputs, ...otherPages.metafile!.outputs },
    },
  };
  const outputs = result.metafile.outputs;
  const pages = {} as WebManifest['pages'];
  for (const [file, o] of Object.entries(outputs)) {
    const page = o.entryPoint && /^web\/src\/([a-z]+)\/\1\.ts$/.exec(o.entryPoint)?.[1];
    if (!page) continue;
    pages[page as PageName] = {
      js: ASSET_PREFIX + basename(file),
      css: o.cssBundle ? ASSET_PREFIX + basename(o.cssBundle) : undefined,
      preload: chunksOf(outputs, file).map((f) => ASSET_PREFIX + basename(f)),
    };
  }
  for (const name of readdirSync(join(tmp, 'assets'))) {
    if (!TEXT_EXT.test(name)) continue;
    const path = join(tmp, 'assets', name);
    const body = readFileSync(path);
    if (body.length < MIN_COMPRESS_BYTES) continue;
    writeFileSync(
      `${path}.br`,
      brotliCompressSync(body, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
    );
    writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
  }
  for (const page of PAGES) {
    const assets = pages[page];
    if (!assets) throw new Error(`assert: web/build: esbuild wrote no script for page "${page}"`);
    const html = fillTemplate(readFileSync(join(root, 'web', `${page}.html`), 'utf8'), assets, page);
    writeFileSync(join(tmp, `${page}.html`), html);
  }
  const inputs = [
    ...Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')),
    ...PAGES.map((p) => `web/${p}.html`),
    'web/build.ts',
    'package-lock.json',
  ];
  const manifest: WebManifest = { pages, inputs };
  writeFileSync(join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const old = `${out}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  try {
    renameSync(out, old);
  } catch {
    // first build: nothing to move away
  }
  renameSync(tmp, out);
  rmSync(old, { recursive: true, force: true });
  return manifest;
}

/** The chunks an output imports, transitively (esbuild's metafile `imports`, static and dynamic). */
function chunksOf(outputs: esbuild.Metafile['outputs'], file: string, seen = new Set<string>()): string[] {
  for (const i of outputs[file]?.imports ?? []) {
    if (i.external || seen.has(i.path) || !i.path.endsWith('.js')) continue;
    seen.add(i.path);
    chunksOf(outputs, i.path, seen);
  }
  return [...seen];
}

/**
 * `{{script}}`, `{{style}}` and `{{preload}}` (a `<link rel="modulepreload">` per chunk, so the
 * browser fetches them at once instead of when the script asks) in a page's HTML; anything else
 * left is a mistake.
 */
function fillTemplate(html: string, assets: PageAssets, page: string): string {
  const preload = assets.preload.map((href) => `<link rel="modulepreload" href="${href}">`).join('\n  ');
  const filled = html
    .replaceAll('{{script}}', assets.js)
    .replaceAll('{{style}}', assets.css ?? '')
    .replace(preload ? /{{preload}}/g : /\n[ \t]*{{preload}}/g, preload);
  const left = /\{\{[^}]*\}\}/.exec(filled);
  if (left) throw new Error(`web/${page}.html: unknown placeholder ${left[0]}`);
  if (!assets.css && html.includes('{{style}}')) throw new Error(`web/${page}.html links a style sheet, but web/src/${page}/${page}.ts imports no CSS`);
  return filled;
}

/** True when dist/public was built after every one of its inputs last changed. */
export function webBuildIsCurrent(root = projectRoot()): boolean {
  let manifest: WebManifest;
  let builtAt: number;
  try {
    const path = join(publicDir(root), 'manifest.json');
    builtAt = statSync(path).mtimeMs;
    manifest = JSON.parse(readFileSync(path, 'utf8')) as WebManifest;
  } catch {
    return false;
  }
  const sources = new Set(manifest.inputs);
  // A file added to web/src since the last build is an input too, even before anything imports it.
  for (const f of listFiles(join(root, 'web', 'src'))) sources.add(relative(root, f));
  for (const f of sources) {
    try {
      if (statSync(join(root, f)).mtimeMs > builtAt) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

// `node dist/web/build.js`: build and say what was written.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const m = await buildWeb();
  const dir = join(publicDir(), 'assets');
  const sizes = (path: string) => `${statSync(join(dir, basename(path))).size} B`;
  for (const [page, a] of Object.entries(m.pages)) process.stdout.write(`web: ${page}: ${a.js} (${sizes(a.js)})${a.css ? `, ${a.css}` : ''}\n`);
}
