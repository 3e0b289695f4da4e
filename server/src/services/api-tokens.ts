import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { apiTokens } from '@pikflow/db';
import { count, eq } from 'drizzle-orm';
import type { Db } from '@pikflow/db';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Bearer tokens: the one from PIKFLOW_API_TOKEN (compared in constant time) and any
 * stored in `api_tokens` as SHA-256 hashes (the plain token is shown once, at creation).
 */
export class ApiTokens {
  private readonly envHash?: Buffer;
  private lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly db: Db,
    envToken?: string,
  ) {
    if (envToken) this.envHash = Buffer.from(hashToken(envToken), 'hex');
  }

  async verify(token: string): Promise<boolean> {
    const hash = hashToken(token);
    if (this.envHash && timingSafeEqual(this.envHash, Buffer.from(hash, 'hex'))) return true;
    const [row] = await this.db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.tokenHash, hash)).limit(1);
    if (!row) return false;
    // Record use at most once a minute per token: a trigger loop must not write on every call.
    const now = Date.now();
    if ((this.lastUsedWritten.get(row.id) ?? 0) < now - 60_000) {
      this.lastUsedWritten.set(row.id, now);
      await this.db.update(apiTokens).set({ lastUsedAt: new Date(now) }).where(eq(apiTokens.id, row.id));
    }
    return true;
  }

  /** Whether any token exists, so an exposed server never starts open. */
  async anyConfigured(): Promise<boolean> {
    if (this.envHash) return true;
    const [row] = await this.db.select({ n: count() }).from(apiTokens);
    return (row?.n ?? 0) > 0;
  }

  /** Creates a stored token and returns its plain text (the only time it exists). */
  async create(name: string): Promise<{ id: string; token: string }> {
    const token = `pkf_${randomBytes(24).toString('base64url')}`;
    const [row] = await this.db.insert(apiTokens).values({ name, tokenHash: hashToken(token) }).returning({ id: apiTokens.id });
    return { id: row!.id, token };
  }
}
