import type { FastifyInstance } from 'fastify';
import { GatewayError, toPublicError } from '../errors.js';
import type { Authenticator } from './auth.js';
import type { ConsoleService } from './console-service.js';

/** Form fields are strings; JSON bodies may carry numbers or booleans. Anything else is refused. */
export function field(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new GatewayError('GW_ERR_BAD_REQUEST', `field "${name}" must be a string`);
}

export function flag(value: string | undefined, name: string): boolean {
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new GatewayError('GW_ERR_BAD_REQUEST', `field "${name}" must be 0 or 1`);
}

/**
 * The hosting panel's call, eq.php-style: `POST /eq.php action=novnc token=… id=… pin=…`, answered
 * `{"result":"OK","scope":URL,"context":{"action","id","location"},"key":SESSION_ID}`, or
 * `{"result":"ERROR","error":{"code","message"}}` with an HTTP error status.
 */
export function eqPhpRoutes(app: FastifyInstance, deps: { auth: Authenticator; consoles: ConsoleService }): void {
  app.post('/eq.php', async (req, reply) => {
    try {
      const body = req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body)) {
        throw new GatewayError('GW_ERR_BAD_REQUEST', 'the body must be form-encoded (action=…&token=…) or a JSON object');
      }
      const b = body as Record<string, unknown>;
      const action = field(b, 'action');
      if (!action) throw new GatewayError('GW_ERR_BAD_REQUEST', 'field "action" is required');
      const principal = deps.auth.authenticate(field(b, 'token'), field(b, 'pin'));
      const id = field(b, 'id');
      if (!id) throw new GatewayError('GW_ERR_BAD_REQUEST', 'field "id" (the server id) is required');
      switch (action) {
        case 'novnc': {
          const viewOnly = flag(field(b, 'view_only'), 'view_only');
          const res = await deps.consoles.open(principal, { serverId: id, viewOnly, closeUrl: field(b, 'closeurl') });
          return {
            result: 'OK',
            scope: res.url,
            context: { action, id, location: res.session.server.location ?? null },
            key: res.session.id,
            joined: res.joined,
          };
        }
        default:
          throw new GatewayError('GW_ERR_UNKNOWN_ACTION', `action "${action}" is not supported (supported: novnc)`);
      }
    } catch (err) {
      const e = toPublicError(err);
      return reply.code(e.status).send({ result: 'ERROR', error: { code: e.code, message: e.message } });
    }
  });
}
