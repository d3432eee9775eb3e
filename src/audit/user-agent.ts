/**
 * A short description of a User-Agent header, such as "Chrome, Linux", for
 * a person reading their own sign-in history. It is a hint, not a proof:
 * the header is whatever the client sent.
 */

// Order matters: browsers built on Chromium also send "Chrome/" and
// "Safari/", so the more specific tokens are checked first.
const BROWSERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bYaBrowser\//, 'Yandex Browser'],
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\b(OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\b(Firefox|FxiOS)\//, 'Firefox'],
  [/\b(Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\bcurl\//, 'curl'],
];

// Android and iOS user agents also mention Linux and "like Mac OS X".
const SYSTEMS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bAndroid\b/, 'Android'],
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

function firstMatch(text: string, table: ReadonlyArray<readonly [RegExp, string]>): string | undefined {
  return table.find(([pattern]) => pattern.test(text))?.[1];
}

/** "Browser, system", one of them, or undefined when neither is recognised. */
export function describeUserAgent(userAgent: string | null): string | undefined {
  if (userAgent === null) {
    return undefined;
  }
  const parts = [firstMatch(userAgent, BROWSERS), firstMatch(userAgent, SYSTEMS)].filter((part) => part !== undefined);
  return parts.length === 0 ? undefined : parts.join(', ');
}
