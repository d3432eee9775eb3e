import { InputError } from '../errors/index.js';

/** Read a --workers value: a whole number from 1 to 9999, written in plain digits. The benchmark reads its own with it. */
export function parseWorkerCount(value: string): number {
  if (!/^[1-9][0-9]{0,3}$/.test(value)) {
    throw new InputError(`--workers must be a whole number from 1 to 9999, not "${value}"`);
  }
  return Number(value);
}
