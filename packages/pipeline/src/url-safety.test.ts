import { describe, expect, it } from 'vitest';
import { checkImageUrl, hostNameOf, isPrivateAddress, makeHostCheck, parseIPv4, parseIPv6 } from './url-safety.ts';

describe('checkImageUrl', () => {
  it.each([
    'https://images.example.com/photo.jpg',
    'http://cdn.example.org:8080/a/b.png?x=1',
    'https://8.8.8.8/img.png',
    'https://[2606:4700:4700::1111]/img.png',
  ])('accepts public %s', (url) => {
    expect(checkImageUrl(url)).toBeNull();
  });

  it.each([
    ['javascript:alert(1)', /http or https, not javascript/],
    ['file:///etc/passwd', /http or https, not file/],
    ['ftp://example.com/a.png', /http or https, not ftp/],
    ['gopher://example.com/', /http or https/],
    ['data:image/png;base64,AAAA', /http or https, not data/],
    ['not a url', /not a valid URL/],
    ['', /empty/],
    ['https://user:pass@example.com/a.png', /user name or password/],
    ['https://user@example.com/a.png', /user name or password/],
    ['http://127.0.0.1%2f@example.com/', /user name or password/],
    ['http://example.com\\@127.0.0.1/', /backslashes or control characters/],
    ['http://example.com/a\n.png', /backslashes or control characters/],
  ])('refuses %s', (url, message) => {
    expect(checkImageUrl(url)).toMatch(message);
  });

  it.each([
    'http://127.0.0.1/a.png',
    'http://127.1/a.png',
    'http://2130706433/a.png', // decimal 127.0.0.1
    'http://0x7f000001/a.png', // hex
    'http://0177.0.0.1/a.png', // octal
    'http://0x7f.0.0.1/a.png',
    'http://0.0.0.0/',
    'http://10.1.2.3/',
    'http://172.16.0.1/',
    'http://172.31.255.255/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/',
    'http://[::1]/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://[fe80::1]/',
    'http://[fc00::1]/',
    'http://[fd00:ec2::254]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[0:0:0:0:0:ffff:127.0.0.1]/',
    'http://[::ffff:0:7f00:1]/',
    'http://[2002:7f00:1::]/', // 6to4 wrapping 127.0.0.1
    'http://127.0.0.1./',
    'http://0/',
    'http://①②⑦.0.0.1/', // full-width digits normalise to 127.0.0.1
  ])('refuses private address %s', (url) => {
    expect(checkImageUrl(url)).toMatch(/private, loopback or link-local/);
  });

  it.each(['http://localhost/', 'http://localhost./', 'http://LOCALHOST:3000/', 'http://api.localhost/', 'http://metadata.google.internal/', 'http://db.internal/', 'http://printer.local/'])(
    'refuses local host name %s',
    (url) => {
      expect(checkImageUrl(url)).toMatch(/local host name/);
    },
  );

  it('refuses single-label host names', () => {
    expect(checkImageUrl('http://intranet/a.png')).toMatch(/public host name/);
  });

  it('allowPrivate lets tests fetch from loopback but keeps scheme and credential rules', () => {
    expect(checkImageUrl('http://127.0.0.1:4000/a.png', { allowPrivate: true })).toBeNull();
    expect(checkImageUrl('http://localhost:4000/a.png', { allowPrivate: true })).toBeNull();
    expect(checkImageUrl('file:///etc/passwd', { allowPrivate: true })).toMatch(/http or https/);
    expect(checkImageUrl('http://a:b@127.0.0.1/', { allowPrivate: true })).toMatch(/password/);
  });
});

describe('isPrivateAddress (re-check after DNS)', () => {
  it.each([
    '127.0.0.1', '10.0.0.1', '172.20.1.1', '192.168.0.10', '169.254.169.254', '100.100.100.100', '0.0.0.0',
    '224.0.0.1', '255.255.255.255', '::1', '::', '::ffff:10.0.0.1', '::ffff:192.168.1.1', 'fe80::1%eth0',
    'fd12:3456::1', 'ff02::1', '[::1]', '2130706433', 'garbage', '',
  ])('%s is private', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001:80b::200e'])(
    '%s is public',
    (ip) => {
      expect(isPrivateAddress(ip)).toBe(false);
    },
  );
});

describe('address parsers', () => {
  it('parses inet_aton forms', () => {
    expect(parseIPv4('127.0.0.1')).toBe(0x7f000001);
    expect(parseIPv4('0x7f.1')).toBe(0x7f000001);
    expect(parseIPv4('017700000001')).toBe(0x7f000001);
    expect(parseIPv4('256.1.1.1')).toBeNull();
    expect(parseIPv4('1.2.3.4.5')).toBeNull();
    expect(parseIPv4('example.com')).toBeNull();
  });
  it('parses IPv6 with :: and embedded IPv4', () => {
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6('1::2::3')).toBeNull();
    expect(parseIPv6('12345::')).toBeNull();
  });
});

describe('host names a local server answers to (DNS rebinding)', () => {
  it('reads the name from a Host header', () => {
    expect(hostNameOf('Example.COM:3000')).toBe('example.com');
    expect(hostNameOf('[::1]:3000')).toBe('::1');
    expect(hostNameOf('pikflow.test.')).toBe('pikflow.test');
    expect(hostNameOf('a@b')).toBeUndefined();
    expect(hostNameOf('')).toBeUndefined();
    expect(hostNameOf(undefined)).toBeUndefined();
  });

  it('IP literals and localhost always pass; other names only when listed', () => {
    const check = makeHostCheck(['pikflow.example.com', '.corp.test']);
    for (const ok of ['127.0.0.1', '192.168.1.20', '::1', 'localhost', 'app.localhost', 'pikflow.example.com', 'corp.test', 'ci.corp.test']) expect(check(ok), ok).toBe(true);
    for (const bad of ['evil.example', 'localhost.evil.example', 'evilcorp.test', 'pikflow.example.com.evil.example', 'example.com']) expect(check(bad), bad).toBe(false);
    expect(makeHostCheck(['*'])('anything.example')).toBe(true);
  });
});
