/**
 * What an @azure/event-hubs failure means for the admin: one stable code and one sentence naming the field to check
 * and the fix. The SDK's MessagingError carries `code` (UnauthorizedError, MessagingEntityNotFoundError,
 * ServiceCommunicationError, …: node_modules/@azure/core-amqp/dist/esm/errors.js); after its retries it may throw an
 * AggregateError whose message is empty and whose codes are in `errors`.
 */
import { AddonError, StreamError, type ErrorCode } from '../errors.js';
import { errorInfo } from '../toolkit/error-info.js';

const UNAUTHORIZED = new Set(['UnauthorizedError']);
const NOT_FOUND = new Set(['MessagingEntityNotFoundError', 'ArgumentOutOfRangeError']);

/** Classifies any thrown value; our own AddonErrors (an Entra ID refusal, a checkpoint failure) keep their sentence. */
export function describeStreamFailure(
  error: unknown,
  where: { namespace: string; hub: string; consumerGroup: string },
): {
  code: ErrorCode;
  message: string;
} {
  if (error instanceof AddonError) return { code: error.code, message: error.message };
  const codes = codesOf(error);
  const detail = detailOf(error);
  if (codes.some((c) => UNAUTHORIZED.has(c))) {
    return {
      code: 'stream_unauthorized',
      message: `The Event Hubs namespace ${where.namespace} refused the credentials (${detail}): check connection_string (a policy with the Listen claim, key not rotated, for this hub or namespace) or, with Entra ID, that the app has the role "Azure Event Hubs Data Receiver" on the hub ${where.hub}.`,
    };
  }
  if (codes.some((c) => NOT_FOUND.has(c)) || /could not be found/i.test(detail)) {
    return {
      code: 'stream_not_found',
      message: `The Event Hubs namespace ${where.namespace} has no event hub ${where.hub} or no consumer group ${where.consumerGroup} in it (${detail}): check event_hub_name and consumer_group against the namespace in the Azure portal.`,
    };
  }
  if (
    codes.some((c) =>
      [
        'ServiceCommunicationError',
        'ConnectionForcedError',
        'ServiceUnavailableError',
        'OperationTimeoutError',
        'ECONNREFUSED',
        'ENOTFOUND',
        'ECONNRESET',
        'ETIMEDOUT',
        'EAI_AGAIN',
      ].includes(c),
    )
  ) {
    return {
      code: 'stream_unreachable',
      message: `The Event Hubs namespace ${where.namespace} cannot be reached (${detail}): check event_hub_namespace and DNS, and that the firewall lets this host reach it on port 5671 (AMQP), or set proxy_url to go through a proxy on port 443; the input keeps retrying.`,
    };
  }
  return {
    code: 'stream_error',
    message: `Reading the event hub ${where.hub} on ${where.namespace} failed (${detail}); the input keeps retrying. If it persists, check the namespace's health in the Azure portal.`,
  };
}

/** The same as a StreamError (or the AddonError itself), to throw. */
export function toStreamError(
  error: unknown,
  where: { namespace: string; hub: string; consumerGroup: string },
): AddonError {
  if (error instanceof AddonError) return error;
  const { code, message } = describeStreamFailure(error, where);
  return new StreamError(code as StreamError['code'], message, { cause: error });
}

function codesOf(error: unknown): string[] {
  const out: string[] = [];
  const visit = (e: unknown, depth: number) => {
    if (depth > 3 || e === null || typeof e !== 'object') return;
    const info = errorInfo(e);
    if (info.code) out.push(info.code);
    if (info.name) out.push(info.name);
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const x of inner) visit(x, depth + 1);
    visit((e as { cause?: unknown }).cause, depth + 1);
  };
  visit(error, 0);
  return out;
}

/** The first non-empty message, on one line and short (messages of the service name the entity, never a key). */
function detailOf(error: unknown): string {
  const messages: string[] = [];
  const visit = (e: unknown, depth: number) => {
    if (depth > 3 || e === null || typeof e !== 'object') return;
    const info = errorInfo(e);
    if (info.message.trim() !== '') messages.push(`${info.code ?? info.name ?? 'Error'}: ${info.message}`);
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const x of inner) visit(x, depth + 1);
  };
  visit(error, 0);
  const text = (messages[0] ?? errorInfo(error).code ?? 'unknown error').replace(/\s+/g, ' ');
  return text.length > 240 ? `${text.slice(0, 237)}...` : text;
}
