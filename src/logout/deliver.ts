import type { LogoutRequest } from './types.js';

/** Maximum length of the error text kept in the queue row and the log. */
const MAX_ERROR_LENGTH = 300;

/** A delivery the service did not acknowledge. The message never contains the logout token. */
export class LogoutDeliveryError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message.slice(0, MAX_ERROR_LENGTH), options);
    this.name = 'LogoutDeliveryError';
  }
}

/**
 * POST the logout token to the service's back-channel logout URI as a form
 * field, as Back-Channel Logout 1.0 section 2.5 defines. The service must
 * respond with 200. 204 is accepted too, because some frameworks send it in
 * place of an empty 200. Redirects are not followed: the token goes only to the
 * registered URI.
 */
export async function postLogoutToken(request: LogoutRequest, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(request.uri, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: request.logoutToken }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new LogoutDeliveryError(describeFetchError(error, timeoutMs), { cause: error });
  }
  // The body is not needed; cancelling it frees the connection.
  await response.body?.cancel();
  if (response.status !== 200 && response.status !== 204) {
    throw new LogoutDeliveryError(`expected HTTP 200, got ${response.status}`);
  }
}

/** Describe a delivery failure for the queue row and the log. */
export function describeDeliveryError(error: unknown): string {
  if (error instanceof LogoutDeliveryError) {
    return error.message;
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, MAX_ERROR_LENGTH);
}

/** fetch reports a refused connection as "fetch failed" with the reason in `cause`. */
function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no response within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `request failed: ${typeof code === 'string' ? code : cause.message}`;
  }
  return `request failed: ${error instanceof Error ? error.message : String(error)}`;
}
