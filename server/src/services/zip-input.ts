/**
 * A ZIP of images as batch input. The archive is spooled to a temporary file (its central
 * directory is at the end, and a request body can be read only once), then read entry by entry:
 * only one entry is ever decompressed in memory, at most the per-entry cap.
 *
 * Zip-bomb guard, before a single entry is decompressed (a first pass over the central
 * directory): at most `maxEntries` entries, each at most `maxEntryBytes` uncompressed, all
 * together at most `maxTotalBytes`, and no entry over 1 MiB compressed more than MAX_RATIO
 * times (images are compressed already: such a ratio is a bomb, not a photo). The sizes the
 * directory declares are enforced while inflating (yauzl's validateEntrySizes), so an entry
 * that lies about its size fails rather than growing.
 *
 * What is an item: every file entry but directories, macOS resource forks (`__MACOSX/`) and
 * dotfiles (`.DS_Store`, any path segment starting with a dot). Whether it is an image is the
 * asset store's sniff; a refusal names the entry.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { PikflowError } from '@pikflow/catalog';

/** Uncompressed / compressed above this (for entries over RATIO_FLOOR_BYTES) is refused as a zip bomb. */
export const MAX_RATIO = 100;
const RATIO_FLOOR_BYTES = 1024 * 1024;

export interface ZipLimits {
  /** Largest archive (bytes), as sent. */
  maxArchiveBytes: number;
  maxEntries: number;
  maxEntryBytes: number;
  maxTotalBytes: number;
}

export interface ZipImage {
  /** The entry's path in the archive (the item's label). */
  name: string;
  bytes: Buffer;
}

const MB = (n: number) => `${Math.round((n / 1024 / 1024) * 10) / 10} MB`;

/** Whether a part or body is a ZIP archive, by its type or file name. */
export function isZip(mime: string | undefined, filename?: string): boolean {
  return /^application\/(x-)?zip(-compressed)?$/i.test(mime ?? '') || /\.zip$/i.test(filename ?? '');
}

/** An entry that is not an item: a directory, a macOS resource fork, a dotfile. */
function skipped(name: string): boolean {
  if (name.endsWith('/')) return true;
  const segments = name.split('/');
  return segments[0] === '__MACOSX' || segments.some((s) => s.startsWith('.'));
}

function invalidZip(label: string, cause: unknown): PikflowError {
  const message = cause instanceof Error ? cause.message : String(cause);
  return new PikflowError('invalid_input', `${label} is not a readable ZIP archive: ${message}`, { field: 'file', cause });
}

function open(path: string, label: string): Promise<ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: true, validateEntrySizes: true, decodeStrings: true }, (error, zip) => (error ? reject(invalidZip(label, error)) : resolve(zip))),
  );
}

/** The archive's entries one at a time (the next is read only when asked for). */
async function* entriesOf(zip: ZipFile, label: string): AsyncGenerator<Entry> {
  let settle: ((entry: Entry | null) => void) | undefined;
  let fail: ((error: unknown) => void) | undefined;
  let failure: unknown;
  zip.on('entry', (entry: Entry) => settle?.(entry));
  zip.on('end', () => settle?.(null));
  zip.on('error', (error: unknown) => {
    failure = invalidZip(label, error);
    fail?.(failure);
  });
  try {
    for (;;) {
      if (failure) throw failure;
      const next = new Promise<Entry | null>((resolve, reject) => {
        settle = resolve;
        fail = reject;
      });
      zip.readEntry();
      const entry = await next;
      if (!entry) return;
      yield entry;
    }
  } finally {
    zip.close();
  }
}

/** A stream's bytes, refused (413, naming `name`) as soon as they pass `maxBytes`. */
export async function readCapped(stream: AsyncIterable<Buffer>, name: string, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const tooLarge = (cause?: unknown) => new PikflowError('payload_too_large', `${name} is larger than the upload limit (${MB(maxBytes)})`, { field: 'file', cause });
  try {
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } catch (cause) {
    // @fastify/multipart's own cap on a part.
    if ((cause as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(cause);
    throw cause;
  }
  return Buffer.concat(chunks, size);
}

async function readEntry(zip: ZipFile, entry: Entry, label: string, maxBytes: number): Promise<Buffer> {
  const where = `${label} (entry ${entry.fileName})`;
  const stream = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (error, s) => (error ? reject(invalidZip(where, error)) : resolve(s))));
  try {
    return await readCapped(stream, `${entry.fileName} in ${label}`, maxBytes);
  } catch (cause) {
    throw cause instanceof PikflowError ? cause : invalidZip(where, cause);
  }
}

/** The first pass: counts and sizes from the central directory, refused before anything is inflated. */
async function checkDirectory(path: string, label: string, limits: ZipLimits): Promise<number> {
  const zip = await open(path, label);
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw new PikflowError('payload_too_large', `${label} has ${zip.entryCount} entries; a batch takes at most ${limits.maxEntries}`, { field: 'file' });
  }
  let total = 0;
  let images = 0;
  for await (const entry of entriesOf(zip, label)) {
    if (skipped(entry.fileName)) continue;
    images++;
    const { uncompressedSize: size, compressedSize: packed } = entry;
    if (size > limits.maxEntryBytes) {
      throw new PikflowError('payload_too_large', `${entry.fileName} in ${label} is ${MB(size)} uncompressed; the upload limit is ${MB(limits.maxEntryBytes)}`, { field: 'file' });
    }
    if (size > RATIO_FLOOR_BYTES && size > packed * MAX_RATIO) {
      throw new PikflowError('payload_too_large', `${entry.fileName} in ${label} inflates ${Math.round(size / Math.max(1, packed))}× (at most ${MAX_RATIO}×): refused as a zip bomb`, { field: 'file' });
    }
    total += size;
    if (total > limits.maxTotalBytes) {
      throw new PikflowError('payload_too_large', `${label} holds more than ${MB(limits.maxTotalBytes)} uncompressed (MAX_ZIP_UNCOMPRESSED_MB)`, { field: 'file' });
    }
  }
  if (!images) throw new PikflowError('invalid_input', `${label} has no files (directories, __MACOSX and dotfiles are skipped)`, { field: 'file' });
  return images;
}

/**
 * Writes the stream to `path`, refusing it past `maxBytes`. A refused body is drained, not
 * destroyed: the client, still sending, then reads the 413 instead of a reset connection.
 */
async function spool(source: Readable, path: string, label: string, maxBytes: number): Promise<void> {
  let size = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new PikflowError('payload_too_large', `${label} is larger than ${MB(maxBytes)} (MAX_ZIP_MB)`, { field: 'file' }));
      done(null, chunk);
    },
  });
  const file = createWriteStream(path);
  source.once('error', (error: Error & { code?: string }) =>
    cap.destroy(error.code === 'FST_REQ_FILE_TOO_LARGE' ? new PikflowError('payload_too_large', `${label} is larger than ${MB(maxBytes)} (MAX_ZIP_MB)`, { field: 'file', cause: error }) : error),
  );
  source.pipe(cap);
  try {
    await pipeline(cap, file);
  } catch (error) {
    source.unpipe(cap);
    source.resume();
    throw error;
  }
}

/**
 * Every item of the archive `source` streams, in archive order, each handed to `take` before the
 * next is inflated. The temporary copy is removed at the end, whatever happens.
 */
export async function eachZipImage(source: Readable, label: string, limits: ZipLimits, take: (image: ZipImage) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pikflow-zip-'));
  const path = join(dir, 'upload.zip');
  try {
    await spool(source, path, label, limits.maxArchiveBytes);
    await checkDirectory(path, label, limits);
    const zip = await open(path, label);
    for await (const entry of entriesOf(zip, label)) {
      if (skipped(entry.fileName)) continue;
      if (entry.isEncrypted()) throw new PikflowError('invalid_input', `${entry.fileName} in ${label} is encrypted`, { field: 'file' });
      const bytes = await readEntry(zip, entry, label, limits.maxEntryBytes);
      await take({ name: entry.fileName, bytes });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
