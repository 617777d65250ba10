import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PageName } from '../../web/build.js';
import { GatewayError } from '../errors.js';
import { PUBLIC_DIR } from '../paths.js';

/** Content-hashed names never change under their name: browsers keep them a year without asking. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  type: string;
  body: Buffer;
  br: Buffer | undefined;
  gzip: Buffer | undefined;
}

/**
 * The built pages' assets (web/build.ts → dist/public/assets/: scripts, chunks, style sheets, each
 * with a content hash in its name), served from memory — read once at start, a few hundred KB — with
 * `Cache-Control: immutable`, and as the brotli or gzip file the build wrote beside each one when the
 * browser accepts it. Compressed once at build time at the best ratio, so no compression work here,
 * and no file system call between a browser's request and the answer (the console page's first
 * frame waits for these).
 */
export async function webAssetRoutes(app: FastifyInstance): Promise<void> {
  const dir = join(PUBLIC_DIR, 'assets');
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new Error(`the browser pages are not built (no ${dir}): run "npm run build"`);
  }
  const present = new Set(names);
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (!type) continue; // the .br/.gz files themselves
    const read = (suffix: string) => (present.has(name + suffix) ? readFileSync(join(dir, name + suffix)) : undefined);
    assets.set(name, { type, body: readFileSync(join(dir, name)), br: read('.br'), gzip: read('.gz') });
  }

  app.get<{ Params: { name: string } }>('/assets/:name', (req: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
    const a = assets.get(req.params.name);
    if (!a) throw new GatewayError('GW_ERR_NOT_FOUND', `no asset ${req.params.name}`);
    reply.header('cache-control', IMMUTABLE).header('x-content-type-options', 'nosniff').type(a.type);
    if (a.br || a.gzip) {
      reply.header('vary', 'accept-encoding');
      const accepted = acceptedEncodings(req.headers['accept-encoding']);
      if (a.br && accepted.has('br')) return reply.header('content-encoding', 'br').send(a.br);
      if (a.gzip && accepted.has('gzip')) return reply.header('content-encoding', 'gzip').send(a.gzip);
    }
    return reply.send(a.body);
  });
}

/** Content codings an Accept-Encoding header allows (q=0 means "not this one"). */
export function acceptedEncodings(header: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    if (params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))) continue;
    out.add(name);
  }
  return out;
}

/** A page's HTML with its asset names filled in by the build; read once, when its routes are set up. */
export function pageHtml(page: PageName): string {
  const path = join(PUBLIC_DIR, `${page}.html`);
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new Error(`the browser pages are not built (no ${path}): run "npm run build"`);
  }
}
