import type { ChainableCommander } from 'ioredis';
import { StorageError } from '../../errors/index.js';
import { callRedis, redisFailure, type RedisFailureReport } from '../../redis/errors.js';
import { GRANT_BOUND_MODELS, type OidcPayload } from '../oidc-adapter.js';
import { SESSION_MODEL, type KeyLayout, type ModelKeys } from './keys.js';
import { consumedSeconds, encodeRecord } from './record-codec.js';

/**
 * How long a session record outlives its expiry, so that the sweep of expired
 * sessions can still read which services to send a back-channel logout.
 * Reads treat the session as gone from its expiry on.
 */
export const SESSION_SWEEP_GRACE_MS = 10 * 60 * 1000;

/** One upsert of a record, as the commands of a MULTI transaction. */
export interface RecordWrite {
  keys: KeyLayout;
  model: string;
  modelKeys: ModelKeys;
  consumable: boolean;
  id: string;
  payload: OidcPayload;
  /** Lifetime in milliseconds; undefined for a record that never expires. */
  ttlMs: number | undefined;
  /** Epoch milliseconds. */
  now: number;
}

/** Queue the write of the record itself. */
export function queueRecordWrite(transaction: ChainableCommander, write: RecordWrite): void {
  const key = write.modelKeys.record(write.id);
  const json = encodeRecord(write.id, write.model, write.payload, write.consumable);
  if (write.consumable) {
    // HSET keeps the field c, so a consumed record stays consumed even if a stale copy is saved again.
    transaction.hset(key, 'p', json);
    const consumedAt = consumedSeconds(write.payload.consumed, write.now);
    if (consumedAt !== undefined) {
      transaction.hsetnx(key, 'c', consumedAt);
    }
    if (write.ttlMs === undefined) {
      transaction.persist(key);
    } else {
      transaction.pexpire(key, write.ttlMs);
    }
    return;
  }
  if (write.model === SESSION_MODEL) {
    queueSessionWrite(transaction, write, key, json);
    return;
  }
  if (write.ttlMs === undefined) {
    transaction.set(key, json);
  } else {
    transaction.set(key, json, 'PX', write.ttlMs);
  }
}

/** Queue a session: the record and its uid index outlive the expiry by the sweep's grace, and the expiry set records the real end. */
function queueSessionWrite(transaction: ChainableCommander, write: RecordWrite, key: string, json: string): void {
  const { id, ttlMs } = write;
  const index = typeof write.payload.uid === 'string' ? write.keys.sessionUid(write.payload.uid) : undefined;
  if (ttlMs === undefined) {
    transaction.set(key, json);
    if (index !== undefined) {
      transaction.set(index, id);
    }
    return;
  }
  const keepMs = ttlMs + SESSION_SWEEP_GRACE_MS;
  transaction.set(key, json, 'PX', keepMs);
  if (index !== undefined) {
    transaction.set(index, id, 'PX', keepMs);
  }
  transaction.zadd(write.keys.sessionExpiry, write.now + ttlMs, id);
}

/** Queue the grant index and user code index entries of the record. */
export function queueIndexWrites(transaction: ChainableCommander, write: RecordWrite): void {
  const { id, payload, ttlMs, now } = write;
  if (GRANT_BOUND_MODELS.has(write.model) && typeof payload.grantId === 'string') {
    const index = write.keys.grantIndex(payload.grantId);
    // Members are scored by their expiry and pruned on each write, so a
    // grant refreshed for weeks does not collect its expired access tokens.
    transaction.zadd(index, ttlMs === undefined ? '+inf' : now + ttlMs, write.modelKeys.grantMember(id));
    transaction.zremrangebyscore(index, '-inf', now);
    if (ttlMs === undefined) {
      transaction.persist(index);
    } else {
      // NX sets the TTL of a new index, GT extends it to the latest member's expiry.
      transaction.pexpire(index, ttlMs, 'NX');
      transaction.pexpire(index, ttlMs, 'GT');
    }
  }
  if (typeof payload.userCode === 'string') {
    const index = write.modelKeys.userCode(payload.userCode);
    if (ttlMs === undefined) {
      transaction.set(index, id);
    } else {
      transaction.set(index, id, 'PX', ttlMs);
    }
  }
}

/** Run a MULTI transaction and fail on the first command that failed inside it. */
export async function executeTransaction(operation: string, transaction: ChainableCommander, report: RedisFailureReport | undefined): Promise<void> {
  const results = await callRedis(operation, () => transaction.exec(), report);
  if (results === null) {
    throw new StorageError(`Redis discarded the transaction of ${operation}`);
  }
  for (const [error] of results) {
    if (error !== null) {
      const failure = redisFailure(error, operation);
      report?.(failure);
      throw failure;
    }
  }
}
