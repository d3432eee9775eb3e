/** At most one warning per this many milliseconds about rejected scrapes in one process, so a flood of them cannot flood the log. */
export const REJECTED_SCRAPE_WARNING_INTERVAL_MS = 60_000;

/** One warning: the rejections it covers and the address of the latest one. */
export interface RejectedScrapeWarning {
  rejected: number;
  ip: string;
}

export interface RejectedScrapeReporter {
  /** Record one rejected scrape from `ip`. */
  rejected(ip: string): void;
  /** Report the rejections still waiting for their warning, and stop the timer. */
  close(): void;
}

/** Timer functions, replaced by tests. */
export interface ReporterTimers {
  now(): number;
  schedule(run: () => void, delayMs: number): { cancel(): void };
}

const REAL_TIMERS: ReporterTimers = {
  now: Date.now,
  schedule(run, delayMs) {
    const timer = setTimeout(run, delayMs);
    // A pending summary must not keep a stopping process alive.
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
};

/**
 * Create a reporter that warns at once about the first rejected scrape, then
 * stays quiet for an interval. Rejections during the interval are counted and
 * reported in one warning when it ends, so no rejection goes unreported and the
 * log gets at most one line per interval. Each server process counts its own
 * rejections.
 */
export function createRejectedScrapeReporter(
  warn: (warning: RejectedScrapeWarning) => void,
  intervalMs: number = REJECTED_SCRAPE_WARNING_INTERVAL_MS,
  timers: ReporterTimers = REAL_TIMERS,
): RejectedScrapeReporter {
  let quietUntil = -Infinity;
  let pending = 0;
  let latestIp = '';
  let summary: { cancel(): void } | undefined;
  let closed = false;

  const flush = () => {
    summary = undefined;
    if (pending > 0) {
      warn({ rejected: pending, ip: latestIp });
      pending = 0;
      quietUntil = timers.now() + intervalMs;
    }
  };

  return {
    rejected(ip) {
      latestIp = ip;
      const now = timers.now();
      // After close no summary would run, so a late rejection is reported on its own.
      if (closed || (now >= quietUntil && summary === undefined)) {
        warn({ rejected: 1, ip });
        quietUntil = now + intervalMs;
        return;
      }
      pending += 1;
      summary ??= timers.schedule(flush, Math.max(0, quietUntil - now));
    },
    close() {
      closed = true;
      summary?.cancel();
      flush();
    },
  };
}
