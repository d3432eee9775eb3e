import { isIPv4, isIPv6 } from 'node:net';

/** Counter id for an address that cannot be read (the socket closed). */
const UNREADABLE = 'unreadable';

/**
 * Expand an IPv6 address into its eight 16-bit groups. A trailing dotted
 * IPv4 part (`::ffff:192.0.2.1`) becomes the last two groups.
 */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    text = `${text.slice(0, -dotted.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  return [...left, ...Array<number>(Math.max(0, missing)).fill(0), ...right];
}

/**
 * Return one spelling per address: IPv4 as is, an IPv4-mapped IPv6 address as its
 * IPv4 form, other IPv6 addresses as eight full groups, without a zone.
 */
export function canonicalIp(address: string): string {
  const bare = address.split('%')[0] ?? '';
  if (isIPv4(bare)) {
    return bare;
  }
  if (!isIPv6(bare)) {
    return UNREADABLE;
  }
  const groups = ipv6Groups(bare.toLowerCase());
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (mapped) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return groups.map((group) => group.toString(16).padStart(4, '0')).join(':');
}

/**
 * Return the network an address belongs to for throttling: its /24 for IPv4, its
 * /64 for IPv6. One home or office usually gets a whole IPv6 /64, so
 * counting single IPv6 addresses would let one attacker rotate through
 * billions of them.
 */
export function networkOf(address: string): string {
  const canonical = canonicalIp(address);
  if (canonical === UNREADABLE) {
    return UNREADABLE;
  }
  if (isIPv4(canonical)) {
    return `${canonical.split('.').slice(0, 3).join('.')}.0/24`;
  }
  return `${canonical.split(':').slice(0, 4).join(':')}::/64`;
}
