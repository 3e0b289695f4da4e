/**
 * Freepik's per-key concurrency limits (Kling v2 and Elements: "up to 3 concurrent requests
 * per user", S4:4683, 5017, 5348), enforced for the API key across every worker process.
 *
 * The state is the database: a node run of an endpoint holds one of its slots from the moment
 * it claims one until it is finished. Claiming marks the row `running` (the executor's
 * submission compare-and-set accepts `queued` or `running`), and in-flight runs are the
 * endpoint's node runs that are `running` or `submitted`. The count and the claim happen in
 * one transaction under a transaction-level advisory lock per endpoint, so two workers can
 * never both take the last slot; the lock is released at commit. A finished, failed, skipped
 * or cancelled node run frees its slot by being so, and a claim survives a crash with its row
 * (recovery re-sends the node's execute job, which finds the slot its own).
 *
 * All workers of a deployment use one API key (see the README: a dedicated key), so the
 * endpoint's node runs in this database are the key's requests.
 */
import { sql } from 'drizzle-orm';
import type { Db } from '@pikflow/db';

/** How long a node that found no free slot waits before it asks again. */
export const CONCURRENCY_RETRY_MS = 5_000;

export interface SlotRequest {
  nodeRunId: string;
  /** The endpoint (catalog node type): each has its own budget, as Freepik documents it per endpoint. */
  nodeType: string;
  limit: number;
}

/** Claims a slot for the node run: true when it holds one (perhaps already), false when it must wait. */
export async function claimConcurrencySlot(db: Db, { nodeRunId, nodeType, limit }: SlotRequest): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`pikflow:concurrency:${nodeType}`}))`);
    // Read after the lock (READ COMMITTED takes a new snapshot per statement): the count
    // includes every claim committed before ours.
    const result = await tx.execute(sql`
      UPDATE node_runs SET status = 'running'
      WHERE id = ${nodeRunId} AND (
        status = 'running' OR
        (status = 'queued' AND (SELECT count(*) FROM node_runs WHERE node_type = ${nodeType} AND status IN ('running', 'submitted')) < ${limit})
      )
      RETURNING id`);
    return (result as unknown as { rows: unknown[] }).rows.length > 0;
  });
}
