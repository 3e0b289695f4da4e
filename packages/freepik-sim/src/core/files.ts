import { randomUUID } from 'node:crypto';
import type { OutputFile } from '../endpoints/types.ts';

interface StoredFile {
  data: Buffer | null;
  mime: string;
  /** Epoch ms, or Infinity for files that never expire (uploads). */
  expiresAt: number;
}

export type FileLookup = { state: 'ok'; data: Buffer; mime: string } | { state: 'expired' } | { state: 'missing' };

/**
 * Result files served at /__sim/files/<id>.<ext>, like Freepik's signed URLs:
 * after their lifetime they answer 403 and their bytes are dropped.
 */
export class FileStore {
  private files = new Map<string, StoredFile>();
  private storedBytes = 0;

  /**
   * @param maxBytes memory budget: past it the oldest files expire early, so a
   *   long-running simulator never holds more than this many result bytes.
   */
  constructor(
    private maxBytes: () => number,
    private now: () => number = Date.now,
  ) {}

  /** Stores bytes; returns the file name (`<uuid>.<ext>`) to put after /__sim/files/. */
  put(file: OutputFile, ttlMs: number): string {
    const name = `${randomUUID()}.${file.ext}`;
    this.files.set(name, { data: file.data, mime: file.mime, expiresAt: this.now() + ttlMs });
    this.storedBytes += file.data.length;
    if (this.storedBytes > this.maxBytes()) this.evictOldest(name);
    return name;
  }

  private drop(file: StoredFile): void {
    if (file.data) this.storedBytes -= file.data.length;
    file.data = null;
  }

  /** Drops the oldest files until within budget; the newest (`keep`) always stays servable. */
  private evictOldest(keep: string): void {
    // Map order is insertion order: oldest first.
    for (const [name, file] of this.files) {
      if (this.storedBytes <= this.maxBytes() || name === keep) break;
      this.drop(file);
    }
  }

  get(name: string): FileLookup {
    const file = this.files.get(name);
    if (!file) return { state: 'missing' };
    if (file.data === null || this.now() >= file.expiresAt) {
      this.drop(file);
      return { state: 'expired' };
    }
    return { state: 'ok', data: file.data, mime: file.mime };
  }

  /** Frees the bytes of expired files; their names keep answering "expired". */
  sweep(): void {
    const now = this.now();
    for (const file of this.files.values()) if (file.data && now >= file.expiresAt) this.drop(file);
  }

  clear(): void {
    this.files.clear();
    this.storedBytes = 0;
  }
}

/** The body of an expired signed URL, as Google Cloud Storage (ai-statics) answers it. */
export const EXPIRED_XML =
  "<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><Details>Request signature expired.</Details></Error>";
export const MISSING_XML =
  "<?xml version='1.0' encoding='UTF-8'?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";
