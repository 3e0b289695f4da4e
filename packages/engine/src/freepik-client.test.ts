import { describe, expect, it } from 'vitest';
import { encodeBody } from './freepik-client.ts';

describe('encodeBody', () => {
  it('sends JSON bodies as JSON and form bodies URL-encoded', () => {
    expect(encodeBody({ method: 'POST', path: '/x', body: { prompt: 'a "b"', n: 2 } })).toEqual({
      body: '{"prompt":"a \\"b\\"","n":2}',
      contentType: 'application/json',
    });
    expect(encodeBody({ method: 'POST', path: '/x', encoding: 'form', body: { a: 'x y', b: { c: 1 }, skip: undefined } })).toEqual({
      body: 'a=x+y&b=%7B%22c%22%3A1%7D',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(encodeBody({ method: 'GET', path: '/x', body: { a: 1 } })).toEqual({});
  });

  it('builds multipart/form-data with the file bytes intact and header values that cannot break out', () => {
    const data = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x00, 0xff]);
    const { body, contentType } = encodeBody({
      method: 'POST',
      path: '/upload',
      encoding: 'multipart',
      body: { key: 'k1', file: { kind: 'file', filename: 'evil"\r\nX-Injected: 1.png', contentType: 'image/png', data }, meta: { a: 1 } },
    });
    const boundary = /boundary=(.+)$/.exec(contentType!)![1]!;
    const raw = body as Buffer;
    const text = raw.toString('latin1');
    const parts = text.split(`--${boundary}`);
    expect(parts.at(-1)).toBe('--\r\n');
    expect(parts[1]).toBe('\r\nContent-Disposition: form-data; name="key"\r\n\r\nk1\r\n');
    expect(parts[2]).toContain('filename="evil%22%0D%0AX-Injected: 1.png"');
    expect(parts[2]).not.toContain('\r\nX-Injected');
    expect(parts[2]).toContain('Content-Type: image/png\r\n\r\n');
    const start = raw.indexOf(Buffer.from('\r\n\r\n', 'latin1'), raw.indexOf(Buffer.from('filename='))) + 4;
    expect([...raw.subarray(start, start + data.length)]).toEqual([...data]);
    expect(parts[3]).toBe('\r\nContent-Disposition: form-data; name="meta"\r\n\r\n{"a":1}\r\n');
  });
});
