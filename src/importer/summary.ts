/** How many records of one kind an import inserted, and how many it found and overwrote. */
export interface RecordCounts {
  created: number;
  updated: number;
}

export interface ImportSummary {
  organizations: RecordCounts;
  services: RecordCounts;
  people: RecordCounts;
  /** People who had no password and received their `initial_password`. */
  passwordsSet: number;
}

export function emptySummary(): ImportSummary {
  return {
    organizations: { created: 0, updated: 0 },
    services: { created: 0, updated: 0 },
    people: { created: 0, updated: 0 },
    passwordsSet: 0,
  };
}
