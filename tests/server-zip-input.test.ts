/**
 * The ZIP reader behind ZIP batches (server/src/services/zip-input.ts): which entries are
 * items, and the zip-bomb guard refusing an archive before anything is inflated — entry count,
 * per-entry and total uncompressed size, compression ratio — or while inflating, an entry that
 * holds more than its declared size.
 */
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { isPikflowError } from '@pikflow/catalog';
import { eachZipImage, type ZipImage, type ZipLimits } from '../server/src/services/zip-input.ts';
import { makeZip, type TestZipEntry } from './support/make-zip.ts';

const MB = 1024 * 1024;
const limits: ZipLimits = { maxArchiveBytes: 10 * MB, maxEntries: 10, maxEntryBytes: 8 * MB, maxTotalBytes: 20 * MB };
const png = (n: number) => Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(100, n)]);

async function read(entries: TestZipEntry[] | Buffer, given: Partial<ZipLimits> = {}): Promise<ZipImage[]> {
  const images: ZipImage[] = [];
  const zip = Buffer.isBuffer(entries) ? entries : makeZip(entries);
  await eachZipImage(Readable.from([zip]), 'album.zip', { ...limits, ...given }, async (image) => void images.push(image));
  return images;
}

async function refusal(entries: TestZipEntry[] | Buffer, given: Partial<ZipLimits> = {}) {
  const error = await read(entries, given).then(() => null, (e: unknown) => e);
  expect(isPikflowError(error), String(error)).toBe(true);
  return error as { code: string; message: string; httpStatus: number };
}

describe('ZIP batch input', () => {
  test('every file is an item named by its path, inflated or stored; directories, __MACOSX and dotfiles are skipped', async () => {
    const images = await read([
      { name: 'album/' },
      { name: 'album/grandma.png', data: png(1), deflate: true },
      { name: 'album/1950s/wedding.png', data: png(2) },
      { name: '__MACOSX/album/._grandma.png', data: Buffer.from('resource fork') },
      { name: 'album/.DS_Store', data: Buffer.from('finder') },
      { name: '.hidden/beach.png', data: png(3) },
    ]);
    expect(images.map((i) => i.name)).toEqual(['album/grandma.png', 'album/1950s/wedding.png']);
    expect(images[0]!.bytes.equals(png(1))).toBe(true);
    expect(images[1]!.bytes.equals(png(2))).toBe(true);
  });

  test('more entries than a batch takes: refused before anything is read', async () => {
    const entries = Array.from({ length: 4 }, (_, i) => ({ name: `p${i}.png`, data: png(i) }));
    const error = await refusal(entries, { maxEntries: 3 });
    expect(error).toMatchObject({ code: 'payload_too_large', httpStatus: 413 });
    expect(error.message).toContain('4 entries');
  });

  test('an entry over the per-entry cap, and a total over the uncompressed cap, are refused naming them', async () => {
    const big = await refusal([{ name: 'huge.png', data: Buffer.alloc(9 * MB), deflate: true }]);
    expect(big.code).toBe('payload_too_large');
    expect(big.message).toContain('huge.png');
    // The directory alone decides: 3 × 7 MB declared (stored, ratio 1) is over 20 MB together.
    const forged = Array.from({ length: 3 }, (_, i) => ({ name: `p${i}.png`, data: png(i), declaredSize: 7 * MB, declaredPacked: 7 * MB }));
    const total = await refusal(forged);
    expect(total.code).toBe('payload_too_large');
    expect(total.message).toContain('uncompressed');
  });

  test('a zip bomb (a 5 MB entry packed a thousandfold) is refused by its ratio; an entry larger than it says fails while inflating', async () => {
    const bomb = await refusal([{ name: 'ok.png', data: png(1) }, { name: 'bomb.png', data: Buffer.alloc(5 * MB), deflate: true }]);
    expect(bomb).toMatchObject({ code: 'payload_too_large', httpStatus: 413 });
    expect(bomb.message).toContain('bomb.png');
    expect(bomb.message).toContain('zip bomb');
    const liar = await refusal([{ name: 'liar.png', data: Buffer.alloc(5 * MB), deflate: true, declaredSize: 1_000 }]);
    expect(liar).toMatchObject({ code: 'invalid_input', httpStatus: 400 });
    expect(liar.message).toContain('liar.png');
  });

  test('not a ZIP, an empty one, and an archive over its size cap', async () => {
    expect((await refusal(Buffer.from('definitely not a zip'))).code).toBe('invalid_input');
    expect((await refusal([{ name: 'folder/' }, { name: '.DS_Store', data: Buffer.from('x') }])).message).toContain('no files');
    expect((await refusal([{ name: 'a.png', data: Buffer.alloc(2 * MB, 7) }], { maxArchiveBytes: MB })).code).toBe('payload_too_large');
  });
});
