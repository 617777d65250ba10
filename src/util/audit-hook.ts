/**
 * The audit record a BMC service (IpmiService, RedfishService) hands to its one audit hook per
 * action: the same shape for every protocol, so one sink (the CLI's stderr lines, a future audit
 * file) takes them all. Never a password, key or token.
 */
export interface BmcAuditEvent<Type extends string = string> {
  readonly type: Type;
  /** ISO 8601 time the action finished. */
  readonly at: string;
  /** Who asked (API user, token id, CLI operator); free text from the caller. */
  readonly actor: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** What was asked (and, where it differs, what was sent); never a secret. */
  readonly detail: string;
  readonly outcome: 'ok' | 'error';
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * Wraps an audit hook so that a sink that throws does not turn a done power action into a reported
 * failure: the error is logged instead.
 */
export function guardedAudit<E extends { readonly type: string }>(
  hook: ((e: E) => void) | undefined,
  logger: { error(obj: object, msg?: string): void },
  what: string,
): (e: E) => void {
  const audit = hook ?? (() => {});
  return (e) => {
    try {
      audit(e);
    } catch (err) {
      logger.error({ err: (err as Error).message, event: e.type }, `${what}: audit hook failed`);
    }
  };
}
