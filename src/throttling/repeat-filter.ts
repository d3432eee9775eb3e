/** Reports of one subject are let through at most once per this interval. */
const REPORT_INTERVAL_MS = 60_000;
/** Bound on the subjects remembered; past it the memory starts afresh. */
const MAX_SUBJECTS = 10_000;

/**
 * Rate-limits log lines and audit events about rejected attempts. A flood of
 * rejected requests must not turn into a flood of audit rows: each write
 * costs more than the rejection itself.
 */
export interface RepeatFilter {
  /** Whether to report `subject` now, and how many reports of it were held back since the last one. */
  check(subject: string, now: number): { report: boolean; suppressed: number };
}

export function createRepeatFilter(): RepeatFilter {
  const subjects = new Map<string, { reportedAt: number; suppressed: number }>();
  return {
    check(subject, now) {
      const entry = subjects.get(subject);
      if (entry !== undefined && now - entry.reportedAt < REPORT_INTERVAL_MS) {
        entry.suppressed += 1;
        return { report: false, suppressed: entry.suppressed };
      }
      if (subjects.size >= MAX_SUBJECTS) {
        subjects.clear();
      }
      subjects.set(subject, { reportedAt: now, suppressed: 0 });
      return { report: true, suppressed: entry?.suppressed ?? 0 };
    },
  };
}
