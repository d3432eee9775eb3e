import type { Logger } from 'pino';

/** The part of a pino logger that the storage layer writes to. */
export type StorageLogger = Pick<Logger, 'info' | 'error'>;
