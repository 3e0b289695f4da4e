/**
 * Which image URLs the engine may fetch on a caller's behalf. A run input is a
 * URL the server downloads, so without these checks any caller could make the
 * server read its own loopback services or the cloud metadata endpoint (SSRF).
 *
 * Pure string/number logic (no `node:` imports): the editor uses it too. The
 * engine must call `isPrivateAddress` again on the address DNS resolved to,
 * because a public name may point at a private address.
 */

export interface ImageUrlOptions {
  /** Tests and local setups fetch from 127.0.0.1; production never sets this. */
  allowPrivate?: boolean;
}

const BLOCKED_HOST_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback', 'metadata', 'metadata.google.internal']);
const BLOCKED_HOST_SUFFIXES = ['.localhost', '.internal', '.local', '.localdomain', '.home.arpa'];

/** A sentence naming what is wrong with the URL, or null when the engine may fetch it. */
export function checkImageUrl(url: string, options: ImageUrlOptions = {}): string | null {
  if (typeof url !== 'string' || url.trim() === '') return 'the image URL is empty';
  if (url.length > 4096) return 'the image URL is longer than 4096 characters';
  // Parsers disagree on backslashes and control characters (WHATWG reads a backslash as "/"):
  // refuse them so every client the engine might use sees the same host.
  if (/[\\\u0000-\u001f\u007f]/.test(url)) return 'image URLs must not contain backslashes or control characters';
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return 'the image URL is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `image URLs must use http or https, not ${parsed.protocol.replace(/:$/, '')}`;
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return 'image URLs must not contain a user name or password';
  }
  // WHATWG URL already normalises decimal/hex/octal IPv4 forms to dotted quads
  // and wraps IPv6 in brackets; parseIPv4 below handles the raw forms anyway.
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  if (host === '') return 'the image URL has no host';
  if (options.allowPrivate) return null;

  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (parseIPv4(bare) !== null || bare.includes(':')) {
    if (parseIPv4(bare) === null && parseIPv6(bare) === null) return 'the image URL has an invalid IP address';
    if (isPrivateAddress(bare)) return `image URLs must not point at a private, loopback or link-local address (${bare})`;
    return null;
  }
  if (BLOCKED_HOST_NAMES.has(host) || BLOCKED_HOST_SUFFIXES.some((s) => host.endsWith(s))) {
    return `image URLs must not point at a local host name (${host})`;
  }
  if (!host.includes('.')) return `image URLs need a public host name, not ${host}`;
  return null;
}

/**
 * True when the address (IPv4 in any inet_aton form, or IPv6, with or without
 * brackets or a zone) is not a public unicast address: loopback, private,
 * link-local, unique-local, CGNAT, metadata, multicast, reserved, unspecified.
 * Anything that does not parse counts as private, so callers fail closed.
 */
export function isPrivateAddress(ip: string): boolean {
  let text = ip.trim().toLowerCase();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const v4 = parseIPv4(text);
  if (v4 !== null) return isPrivateIPv4(v4);
  const v6 = parseIPv6(text);
  if (v6 !== null) return isPrivateIPv6(v6);
  return true;
}

/** Parses IPv4 like inet_aton: 1–4 parts, each decimal, 0x-hex or 0-octal. Returns the 32-bit value. */
export function parseIPv4(text: string): number | null {
  if (text === '' || text.length > 64) return null;
  const parts = text.split('.');
  if (parts.length > 4) return null;
  const nums: number[] = [];
  for (const part of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(part)) n = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) n = parseInt(part.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(part)) n = Number(part);
    else return null;
    if (!Number.isFinite(n)) return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255)) return null;
  if (last >= 2 ** (8 * (4 - nums.length))) return null;
  let value = 0;
  nums.forEach((n, i) => {
    value += n * 2 ** (8 * (3 - i));
  });
  return value + last;
}

function inV4(addr: number, base: string, bits: number): boolean {
  const b = parseIPv4(base)!;
  const size = 2 ** (32 - bits);
  return Math.floor(addr / size) === Math.floor(b / size);
}

const PRIVATE_V4: [string, number][] = [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 reaches localhost on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved + broadcast
];

function isPrivateIPv4(addr: number): boolean {
  return PRIVATE_V4.some(([base, bits]) => inV4(addr, base, bits));
}

/** Parses IPv6 (with ::, embedded dotted IPv4 and an optional %zone) into 8 16-bit groups. */
export function parseIPv6(text: string): number[] | null {
  let s = text;
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (s === '' || !/^[0-9a-f:.]+$/i.test(s)) return null;
  if (s.includes('.')) {
    // An embedded dotted IPv4 (::ffff:127.0.0.1) becomes its two hex groups.
    const lastColon = s.lastIndexOf(':');
    const v4 = s.slice(lastColon + 1);
    if (lastColon === -1 || !/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) return null;
    const n = parseIPv4(v4);
    if (n === null) return null;
    s = `${s.slice(0, lastColon + 1)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const toGroups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = toGroups(halves[0]!);
  if (head === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const rest = toGroups(halves[1]!);
  if (rest === null) return null;
  const known = head.length + rest.length;
  if (known > 7) return null;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest];
}

function isPrivateIPv6(g: number[]): boolean {
  const [a, b] = g as [number, number];
  const embeddedV4 = g[6]! * 65536 + g[7]!;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 8)) return true; // ::
  if (zeros(0, 7) && g[7] === 1) return true; // ::1
  if (zeros(0, 5) && g[5] === 0xffff) return isPrivateIPv4(embeddedV4); // ::ffff:a.b.c.d mapped
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return isPrivateIPv4(embeddedV4); // ::ffff:0:a.b.c.d translated
  if (zeros(0, 6)) return true; // deprecated IPv4-compatible ::a.b.c.d
  if (a === 0x64 && b === 0xff9b) return true; // NAT64 reaches arbitrary IPv4, incl. private
  if (a === 0x2002) return isPrivateIPv4(b * 65536 + g[2]!); // 6to4 wraps an IPv4
  if (a === 0x2001 && b === 0) return true; // Teredo hides the real peer
  if (a === 0x2001 && b === 0xdb8) return true; // documentation
  if ((a & 0xfe00) === 0xfc00) return true; // fc00::/7 unique-local (incl. fd00:ec2::254 metadata)
  if ((a & 0xffc0) === 0xfe80) return true; // fe80::/10 link-local
  if ((a & 0xffc0) === 0xfec0) return true; // fec0::/10 old site-local
  if ((a & 0xff00) === 0xff00) return true; // multicast
  if (a === 0x100 && zeros(1, 4)) return true; // 100::/64 discard
  return (a & 0xe000) !== 0x2000; // only 2000::/3 is global unicast
}

/** `Host: Example.COM:3000` → `example.com`; `[::1]:3000` → `::1`; undefined when unreadable. */
export function hostNameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const h = header.trim().toLowerCase();
  const v6 = /^\[([0-9a-f:.]+)\](?::\d+)?$/.exec(h);
  if (v6) return v6[1];
  const m = /^([^:\s/@\\]+)(?::\d+)?$/.exec(h);
  return m?.[1]?.replace(/\.$/, '');
}

/**
 * A check of a request's host name against an allow-list, against DNS rebinding: a page
 * whose domain re-resolves to 127.0.0.1 reaches a local server under that domain name,
 * so only names that cannot be rebound pass by default — IP literals, `localhost` and
 * `*.localhost` (RFC 6761: always loopback) — plus the listed ones: exact names,
 * `.example.com` for a domain and its subdomains, `*` for any (Vite's and webpack's rule).
 */
export function makeHostCheck(allowed: readonly string[]): (name: string) => boolean {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  let any = false;
  for (const raw of allowed) {
    const entry = raw.trim().toLowerCase().replace(/^\[|\]$/g, '');
    if (entry === '*') any = true;
    else if (entry.startsWith('.')) {
      suffixes.push(entry);
      exact.add(entry.slice(1));
    } else if (entry) exact.add(entry);
  }
  return (name) =>
    any ||
    parseIPv4(name) !== null ||
    (name.includes(':') && parseIPv6(name) !== null) ||
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    exact.has(name) ||
    suffixes.some((s) => name.endsWith(s));
}
