/** Address of one Redis Sentinel. */
export interface SentinelAddress {
  host: string;
  port: number;
}

/** Settings of a Redis connection through Sentinel: the sentinels, the monitored master's name, and the sentinels' own password. */
export interface RedisSentinelSettings {
  sentinels: SentinelAddress[];
  master: string;
  password?: string;
}

/** Result of reading PROPUSK_REDIS_SENTINELS: the addresses, or every item that is not one. */
export type SentinelListResult = { ok: true; addresses: SentinelAddress[] } | { ok: false; invalid: string[] };

const HOST_AND_PORT = /^([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\d{1,5})$/;
const BRACKETED_IPV6_AND_PORT = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/;

function parseAddress(item: string): SentinelAddress | undefined {
  const match = HOST_AND_PORT.exec(item) ?? BRACKETED_IPV6_AND_PORT.exec(item);
  if (match === null) {
    return undefined;
  }
  const port = Number(match[2]);
  return port >= 1 && port <= 65535 ? { host: match[1] as string, port } : undefined;
}

/**
 * Read a comma-separated list of sentinel addresses (`sentinel-1:26379,
 * 10.0.0.5:26379, [2001:db8::5]:26379`). Empty items are skipped, so a
 * trailing comma is harmless; an empty list is invalid.
 */
export function parseSentinelList(text: string): SentinelListResult {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) {
    return { ok: false, invalid: ['(empty list)'] };
  }
  const addresses: SentinelAddress[] = [];
  const invalid: string[] = [];
  for (const item of items) {
    const address = parseAddress(item);
    if (address === undefined) {
      invalid.push(item);
    } else {
      addresses.push(address);
    }
  }
  return invalid.length > 0 ? { ok: false, invalid } : { ok: true, addresses };
}

/** Describe the sentinels for a message: their addresses and the master's name. */
export function describeSentinels(settings: RedisSentinelSettings): string {
  const addresses = settings.sentinels.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`));
  return `master "${settings.master}" of the sentinels ${addresses.join(', ')}`;
}
