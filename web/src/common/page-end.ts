import type { SessionEndCode } from '../../../src/api/api-types.js';
import { endReasonText, gatewayReasonText, t } from './i18n.js';
import type { MessageKey } from './messages.js';
import type { StatusAnswer } from './page-key.js';

/**
 * The sentence a console or serial-console page shows when its connection is over, from the status
 * endpoint's answer (asked after the close), the WebSocket's close reason, and the page's fallback.
 */
export function closedReason(
  answer: StatusAnswer<{ state: string; reason: string | null; code: SessionEndCode | null }>,
  socketReason: string | undefined,
  fallback: MessageKey,
): string {
  if (answer === null) return t('end.lost');
  if (!answer.ok) return answer.error.code === 'GW_ERR_VIEWER_URL_INVALID' ? t('end.urlInvalid') : answer.error.message;
  const st = answer.status;
  if (st.state === 'ended') return endReasonText(st.code, st.reason);
  // The session lives on, but this page's connection was refused (a used key, too many viewers) or lost.
  if (socketReason) return gatewayReasonText(socketReason);
  return t(fallback);
}
