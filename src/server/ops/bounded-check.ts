/** The result of one readiness check. `reason` goes to the log only, never into the probe's response. */
export type CheckResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Wrap a check so that it resolves within `timeoutMs` and never runs twice at
 * once. Probes that arrive while a call is running share it. A call that
 * outlives the timeout counts as failed and is not started again until it
 * settles, so a stalled database ties up one connection, not one per probe.
 */
export function boundedCheck<T>(run: () => Promise<T>, timeoutMs: number): () => Promise<CheckResult<T>> {
  let running: Promise<CheckResult<T>> | undefined;

  return async () => {
    running ??= run()
      .then((value): CheckResult<T> => ({ ok: true, value }))
      .catch((error: unknown): CheckResult<T> => ({ ok: false, reason: error instanceof Error ? error.message : String(error) }))
      .finally(() => {
        running = undefined;
      });

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CheckResult<T>>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    });
    try {
      return await Promise.race([running, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
