/**
 * One JSON call through the HttpClient port, body read whole: the write endpoints the actions call answer with one
 * alert, one comment list or one import result, all small. Failures stay as the client raised them (ApiError with
 * the HTTP status), so the caller can map them to row outcomes.
 */
import { ApiError, AddonError, type ErrorCode } from '../../errors.js';
import type { HttpClient, HttpRequest } from '../../ports.js';
import { errorInfo } from '../../toolkit/error-info.js';

/** Write answers are small; a bigger one is not what we asked for. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The status and parsed body (undefined for an empty body) of a 2xx answer. */
export interface JsonReply {
  status: number;
  body: unknown;
}

/** Sends the request and reads the whole JSON body. Rejects with the client's error, or ApiError for a bad body. */
export async function sendJson(http: HttpClient, request: HttpRequest): Promise<JsonReply> {
  const response = await http.send(request);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      response.discard();
      throw new ApiError(
        'api_bad_response',
        `${request.method ?? 'GET'} ${pathOf(request.url)} answered more than ${MAX_BODY_BYTES / 1024 / 1024} MB.`,
        { status: response.status },
      );
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return { status: response.status, body: undefined };
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    throw new ApiError(
      'api_bad_response',
      `${request.method ?? 'GET'} ${pathOf(request.url)} answered HTTP ${response.status} with a body that is not JSON.`,
      { status: response.status },
    );
  }
}

/** A parsed body that is a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The HTTP status and a one-line message of a failed call, for a row outcome. */
export function describeFailure(error: unknown): { httpStatus: number | undefined; message: string; code: ErrorCode } {
  if (error instanceof ApiError) return { httpStatus: error.status, message: error.message, code: error.code };
  if (error instanceof AddonError) return { httpStatus: undefined, message: error.message, code: error.code };
  return { httpStatus: undefined, message: `Unexpected error: ${errorInfo(error).message}`, code: 'internal_error' };
}

/** The URL's path, for messages (no query: it may be long and says nothing new). */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
