import type { ApiErrorBody } from '../../../src/api/api-types.js';

/**
 * The operator pages (dashboard, replay) call the REST API with an operator token the person typed
 * in, kept in this tab's sessionStorage (one sign-in per tab, shared by the two pages) and sent as
 * `Authorization: Bearer`. Nothing else keeps it.
 */
const TOKEN_KEY = 'bmcgw.operatorToken';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** An API answer that was not 2xx: its code, message and HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The sign-in form (`#signin` with `#token`): keeps what was typed as the token, clears the field, calls `then`. */
export function onSignin(form: HTMLFormElement, input: HTMLInputElement, then: () => void): void {
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    storeToken(input.value.trim());
    input.value = '';
    then();
  });
}

export function authHeaders(): Record<string, string> {
  return { authorization: `Bearer ${storedToken() ?? ''}` };
}

/** A JSON call (`body` sent as JSON); 204 gives undefined. */
export async function api<T>(path: string, opts: { method?: string; body?: unknown } = {}): Promise<T> {
  const init: RequestInit = { method: opts.method ?? 'GET', headers: authHeaders(), cache: 'no-store' };
  if (opts.body !== undefined) {
    init.headers = { ...authHeaders(), 'content-type': 'application/json' };
    init.body = JSON.stringify(opts.body);
  }
  const res = await fetch(path, init);
  if (res.status === 204) return undefined as T;
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new ApiError('GW_ERR_INTERNAL', `HTTP ${res.status}`, res.status);
  }
  if (!res.ok) {
    const e = (body as Partial<ApiErrorBody>).error;
    throw new ApiError(e?.code ?? 'GW_ERR_INTERNAL', e?.message ?? `HTTP ${res.status}`, res.status);
  }
  return body as T;
}

/** A binary answer (thumbnails), or null when there is none. */
export async function apiBlob(path: string): Promise<Blob | null> {
  const res = await fetch(path, { headers: authHeaders(), cache: 'no-store' });
  return res.ok ? res.blob() : null;
}

export function isAuthError(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 401 || e.status === 403);
}
