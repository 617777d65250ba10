import type { Principal } from '../api/auth.js';
import { sessionView } from '../api/console-service.js';
import { eqFields } from '../api/eq-php.js';
import type { EqFields, GatewayContext } from '../context.js';
import { GatewayError } from '../errors.js';
import { usesJava } from '../sources/jnlp/java-viewers.js';
import type { DispatchCall } from './types.js';

/**
 * An eq.php call as it travels and as it is keyed for idempotency: every field but the secrets
 * (the agent trusts the front's authentication; token and pin never leave it).
 */
export function eqCall(action: string, body: Record<string, unknown>, fields: EqFields): DispatchCall & { type: 'eq' } {
  const forwarded: Record<string, string> = {};
  for (const k of Object.keys(body)) {
    if (k === 'token' || k === 'pin') continue;
    const v = fields.get(k);
    if (v !== undefined) forwarded[k] = v;
  }
  return { type: 'eq', action, fields: forwarded };
}

/**
 * Runs a call in this gateway: the one implementation of every API call, whether it came from this
 * gateway's own routes or from a front over the broker. `fields` is the caller's own view of an eq.php
 * body when it has one (a forwarded call rebuilds it from the message).
 */
export async function runLocally(ctx: GatewayContext, principal: Principal, call: DispatchCall, fields?: EqFields): Promise<Record<string, unknown>> {
  // With worker processes, console sessions live there (src/workers/): the console calls go to the
  // pool, but for servers whose console may need a Java viewer, which this process holds.
  if (ctx.workers && (call.type !== 'eq' || call.action === 'novnc') && !heldHere(ctx, call, fields)) {
    const answer = await ctx.workers.run(principal, call, fields);
    if (call.type !== 'list') return answer;
    return { sessions: [...(answer.sessions as unknown[]), ...localSessions(ctx, principal)] };
  }
  switch (call.type) {
    case 'eq': {
      const handler = ctx.eqActions.get(call.action);
      if (!handler)
        throw new GatewayError('GW_ERR_UNKNOWN_ACTION', `action "${call.action}" is not supported (supported: ${[...ctx.eqActions.keys()].join(', ')})`);
      return handler(principal, fields ?? eqFields(call.fields));
    }
    case 'open': {
      const res = await ctx.consoles.open(principal, { serverId: call.serverId, viewOnly: call.viewOnly, closeUrl: call.closeUrl });
      return { ...sessionView(res.session), url: res.url, joined: res.joined };
    }
    case 'list':
      return { sessions: localSessions(ctx, principal) };
    case 'get':
      return { ...sessionView(visibleSession(ctx, principal, call.sessionId)) };
    case 'end': {
      const s = visibleSession(ctx, principal, call.sessionId);
      ctx.audit.record({
        action: 'console.end',
        who: principal.name,
        kind: principal.kind,
        from: principal.from,
        server: s.server.id,
        session: s.id,
        outcome: 'ok',
        detail: { endCode: 'api' },
      });
      s.end(`ended by the API (${principal.name})`, 'api');
      ctx.tickets.revokeSession(s.id);
      return {};
    }
  }
}

function localSessions(ctx: GatewayContext, principal: Principal) {
  return ctx.registry
    .list()
    .filter((s) => principal.mayOpen(s.server.id))
    .map(sessionView);
}

/**
 * With worker processes: whether this process, not a worker, runs a console call. Java viewer
 * consoles (`jnlp`, `fallback: jnlp`) live here: one process manages the Java sandboxes (it clears what
 * a crashed run left at start). A session id is this process's when its own registry holds it.
 */
function heldHere(ctx: GatewayContext, call: DispatchCall, fields: EqFields | undefined): boolean {
  switch (call.type) {
    case 'eq':
    case 'open': {
      const id = call.type === 'open' ? call.serverId : (fields?.get('id') ?? call.fields.id);
      return usesJava(ctx.config.servers.find((s) => s.id === id)?.console);
    }
    case 'list':
      return false;
    case 'get':
    case 'end':
      return ctx.registry.get(call.sessionId) !== undefined;
  }
}

function visibleSession(ctx: GatewayContext, p: Principal, id: string) {
  const s = ctx.registry.get(id);
  // A session of a server the token may not open is reported as unknown: no existence oracle.
  if (!s || !p.mayOpen(s.server.id)) throw new GatewayError('GW_ERR_UNKNOWN_SESSION', `no live session "${id}"`);
  return s;
}
