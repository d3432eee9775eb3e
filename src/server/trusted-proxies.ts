import { BlockList, isIP } from 'node:net';

/** Result of reading PROPUSK_TRUSTED_PROXIES: the entries, or every entry that is not an address or range. */
export type ProxyListResult = { ok: true; entries: string[] } | { ok: false; invalid: string[] };

const PREFIX_DIGITS = /^\d{1,3}$/;
const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Rewrites an IPv4 address that reached an IPv6 socket as `::ffff:a.b.c.d` to `a.b.c.d`. */
export function canonicalAddress(address: string): string {
  const mapped = IPV4_MAPPED.exec(address);
  return mapped?.[1] ?? address;
}

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const version = isIP(address);
  if (version === 4) return 'ipv4';
  if (version === 6) return 'ipv6';
  return undefined;
}

interface Range {
  address: string;
  prefix: number | undefined;
  family: 'ipv4' | 'ipv6';
}

function parseEntry(entry: string): Range | undefined {
  const [rawAddress = '', prefixText, ...rest] = entry.split('/');
  const address = canonicalAddress(rawAddress);
  const family = familyOf(address);
  if (family === undefined || rest.length > 0) {
    return undefined;
  }
  if (prefixText === undefined) {
    return { address, prefix: undefined, family };
  }
  const prefix = Number(prefixText);
  const maxPrefix = family === 'ipv4' ? 32 : 128;
  if (!PREFIX_DIGITS.test(prefixText) || prefix > maxPrefix) {
    return undefined;
  }
  return { address, prefix, family };
}

/**
 * Reads a comma-separated list of IP addresses and CIDR ranges
 * (`10.0.0.0/8, 192.0.2.10, 2001:db8::/32`). Empty items are skipped, so a
 * trailing comma is harmless.
 */
export function parseProxyList(text: string): ProxyListResult {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const invalid = items.filter((item) => parseEntry(item) === undefined);
  return invalid.length > 0 ? { ok: false, invalid } : { ok: true, entries: items };
}

/** Builds a test for "this address is one of the trusted proxies". Entries must come from parseProxyList. */
export function trustedProxyMatcher(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const range = parseEntry(entry);
    if (range === undefined) {
      throw new Error(`Not an IP address or CIDR range: ${entry}`);
    }
    if (range.prefix === undefined) {
      list.addAddress(range.address, range.family);
    } else {
      list.addSubnet(range.address, range.prefix, range.family);
    }
  }
  return (address) => {
    const canonical = canonicalAddress(address);
    const family = familyOf(canonical);
    return family !== undefined && list.check(canonical, family);
  };
}
