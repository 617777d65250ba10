import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../errors.js';
import { errorMessages, redfishError } from './redfish-errors.js';
import type { RedfishResponse } from './redfish-http.js';
import { checkPath, cleanText, linkPath } from './redfish-json.js';
import type { RedfishSession } from './redfish-session.js';
import { parseTask, TASK_DONE_STATES } from './resources.js';

/** Polls no faster than this and no slower than that, whatever Retry-After says. */
const MIN_POLL_MS = 200;
const MAX_POLL_MS = 5_000;
const DEFAULT_POLL_MS = 500;

/**
 * Follows an asynchronous operation to its end (DSP0266 "Asynchronous operations"): the service
 * answers 202 Accepted with the task monitor in `Location` (and maybe a Task body and Retry-After);
 * GET on the monitor answers 202 while the work runs, then the operation's own final status and body.
 * Services that point `Location` at the Task resource instead (which answers 200 with TaskState)
 * are followed until TaskState is one of Completed, Killed, Exception, Cancelled.
 *
 * Returns the final answer (a success, or an error answer for the caller to map). A task that ends
 * in Killed/Exception/Cancelled, or a Completed task whose TaskStatus is Critical, is
 * GW_ERR_BMC_FAILED with the task's messages; one still running at `deadline` is GW_ERR_BMC_TIMEOUT.
 */
export async function followTask(session: RedfishSession, first: RedfishResponse, doing: string, deadline: number): Promise<RedfishResponse> {
  if (first.status !== 202) return first;
  let res = first;
  let monitor = monitorOf(res, doing);
  for (;;) {
    const task = parseTask(res.body, monitor);
    if (task?.state && (TASK_DONE_STATES as readonly string[]).includes(task.state)) {
      if (task.state === 'Completed' && task.status !== 'Critical') return { status: 200, headers: res.headers, body: res.body };
      const said = task.messages
        .slice(0, 3)
        .map((m) => `${cleanText(m.id, 100)}: ${cleanText(m.message)}`)
        .join('; ');
      // The task's own messages decide the code when we know their MessageId (e.g. the image could not be fetched).
      const mapped = redfishError({ status: 500, headers: {}, body: undefined }, doing, task.messages);
      const code = mapped.code === 'GW_ERR_BMC_FAILED' || mapped.code === 'GW_ERR_BMC_REJECTED' ? 'GW_ERR_BMC_FAILED' : mapped.code;
      throw new GatewayError(code, `${doing}: the BMC's task ended ${task.state}${task.status ? ` (${task.status})` : ''}${said ? `: ${said}` : ''}`);
    }
    if (res.status !== 202 && !(res.status === 200 && task)) return res; // the operation's final answer
    const wait = pollDelay(res.headers['retry-after']);
    if (Date.now() + wait > deadline) {
      const where = task?.state ? ` (TaskState ${task.state}${task.percent !== undefined ? `, ${task.percent}%` : ''})` : '';
      throw new GatewayError('GW_ERR_BMC_TIMEOUT', `${doing}: the BMC's task was still running when the wait ended${where}; it may still finish`);
    }
    await sleep(wait);
    res = await session.request({ method: 'GET', path: monitor });
    if (res.status === 404 || res.status === 410) {
      throw new GatewayError(
        'GW_ERR_BMC_FAILED',
        `${doing}: the task monitor ${monitor} disappeared before the task's result was read${errorMessages(res.body).length ? ` (${redfishError(res, doing).message})` : ''}`,
      );
    }
    if (res.status === 202 && res.headers.location) monitor = checkPath(res.headers.location, `${doing}: the task monitor's Location`);
  }
}

function monitorOf(res: RedfishResponse, doing: string): string {
  if (res.headers.location) return checkPath(res.headers.location, `${doing}: the 202 answer's Location`);
  const task = parseTask(res.body, 'the 202 answer');
  if (task?.monitor) return task.monitor;
  const body = res.body as { '@odata.id'?: unknown } | undefined;
  if (body && typeof body['@odata.id'] === 'string') return linkPath(body, `${doing}: the 202 answer's task`);
  throw new GatewayError('GW_ERR_BMC_PROTOCOL', `${doing}: the BMC answered 202 Accepted without a task monitor (no Location, no Task)`);
}

/** Retry-After (RFC 9110 §10.2.3: seconds, or an HTTP date), bounded. */
export function pollDelay(retryAfter: string | undefined, now = Date.now()): number {
  if (retryAfter === undefined) return DEFAULT_POLL_MS;
  let ms: number;
  if (/^\d{1,6}$/.test(retryAfter.trim())) ms = Number(retryAfter.trim()) * 1000;
  else {
    const at = Date.parse(retryAfter);
    ms = Number.isNaN(at) ? DEFAULT_POLL_MS : at - now;
  }
  return Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, ms));
}
