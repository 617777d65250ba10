import type { ApiErrorBody } from '../../../src/api/api-types.js';

export type StatusAnswer<T> = { ok: true; status: T } | { ok: false; error: ApiErrorBody['error'] } | null;

/**
 * GET `statusPath` (e.g. /api/v1/viewer/KEY/status): the session's status, the API's error (an
 * unknown or expired key), or null when the gateway cannot be reached.
 */
export async function fetchStatus<T>(statusPath: string): Promise<StatusAnswer<T>> {
  try {
    const r = await fetch(statusPath, { cache: 'no-store' });
    const body = (await r.json()) as T | ApiErrorBody;
    if (!r.ok) return { ok: false, error: (body as ApiErrorBody).error ?? { code: 'GW_ERR_INTERNAL', message: `HTTP ${r.status}` } };
    return { ok: true, status: body as T };
  } catch {
    return null;
  }
}
