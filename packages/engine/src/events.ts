/**
 * Run events: durable rows in run_events (written by the executor inside its
 * transactions) plus live delivery. In-process subscribers get events the moment a
 * transaction commits; on real PostgreSQL every commit also sends
 * NOTIFY pikflow_run_events '<runId>:<lastEventId>' so a server process sees events
 * written by other worker processes (the listener loads the rows it has not seen).
 * Each subscription remembers the last id it delivered, so replay + live never
 * duplicates or reorders.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { and, asc, eq, gt } from 'drizzle-orm';
import { runEvents, type DbHandle } from '@pikflow/db';
import type { RunEvent, RunEventType } from '@pikflow/pipeline';

export const EVENTS_CHANNEL = 'pikflow_run_events';

interface Subscription {
  lastId: number;
  replaying: boolean;
  buffer: RunEvent[];
  listener: (event: RunEvent) => void;
}

export function toRunEvent(row: typeof runEvents.$inferSelect): RunEvent {
  return {
    id: row.id,
    runId: row.runId,
    type: row.type as RunEventType,
    ...(row.nodeId ? { nodeId: row.nodeId } : {}),
    at: row.createdAt.toISOString(),
    ...(row.payload ? { data: row.payload as Record<string, unknown> } : {}),
  };
}

export class EventBus {
  private readonly subs = new Map<string, Set<Subscription>>();
  private listenClient?: pg.Client;
  private stopped = false;

  constructor(
    private readonly handle: DbHandle,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    if (this.handle.kind !== 'postgres' || this.listenClient) return;
    this.stopped = false;
    await this.connectListener();
  }

  private async connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: this.handle.databaseUrl });
    client.on('error', (error) => {
      this.logger.warn({ err: error.message }, 'event listener connection lost; reconnecting');
      this.listenClient = undefined;
      if (!this.stopped) setTimeout(() => void this.connectListener().catch(() => {}), 1000).unref();
    });
    client.on('notification', (message) => {
      if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
      const [runId, lastId] = message.payload.split(':');
      if (runId) void this.catchUp(runId, Number(lastId));
    });
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.listenClient = client;
    // Events committed while we were not listening: catch every subscribed run up.
    for (const runId of this.subs.keys()) void this.catchUp(runId, Number.POSITIVE_INFINITY);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.listenClient;
    this.listenClient = undefined;
    await client?.end().catch(() => {});
  }

  /** Called after a transaction that wrote events has committed: delivers them in this process. */
  publish(runId: string, events: RunEvent[]): void {
    if (!events.length) return;
    // The NOTIFY for other processes was sent by the inserting statement itself (see the executor).
    this.deliver(runId, events);
  }

  subscribe(runId: string, afterEventId: number, listener: (event: RunEvent) => void): () => void {
    const sub: Subscription = { lastId: afterEventId, replaying: true, buffer: [], listener };
    let set = this.subs.get(runId);
    if (!set) this.subs.set(runId, (set = new Set()));
    set.add(sub);
    void this.load(runId, afterEventId)
      .then((events) => {
        for (const event of events) this.emit(sub, event);
        sub.replaying = false;
        const buffered = sub.buffer.sort((a, b) => a.id - b.id);
        sub.buffer = [];
        for (const event of buffered) this.emit(sub, event);
      })
      .catch((error: Error) => {
        sub.replaying = false;
        this.logger.warn({ err: error.message, runId }, 'event replay failed');
      });
    return () => {
      set!.delete(sub);
      if (set!.size === 0 && this.subs.get(runId) === set) this.subs.delete(runId);
    };
  }

  private deliver(runId: string, events: RunEvent[]): void {
    const set = this.subs.get(runId);
    if (!set) return;
    for (const sub of set) for (const event of events) this.emit(sub, event);
  }

  private emit(sub: Subscription, event: RunEvent): void {
    if (sub.replaying) {
      sub.buffer.push(event);
      return;
    }
    if (event.id <= sub.lastId) return;
    sub.lastId = event.id;
    try {
      sub.listener(event);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, runId: event.runId }, 'event listener threw');
    }
  }

  /** Loads events other processes wrote, for runs someone here is watching. */
  private async catchUp(runId: string, lastId: number): Promise<void> {
    const set = this.subs.get(runId);
    if (!set?.size) return;
    const since = Math.min(...[...set].map((s) => s.lastId));
    if (since >= lastId) return;
    try {
      this.deliver(runId, await this.load(runId, since));
    } catch (error) {
      this.logger.warn({ err: (error as Error).message, runId }, 'loading notified events failed');
    }
  }

  private async load(runId: string, afterId: number): Promise<RunEvent[]> {
    const rows = await this.handle.db
      .select()
      .from(runEvents)
      .where(and(eq(runEvents.runId, runId), gt(runEvents.id, afterId)))
      .orderBy(asc(runEvents.id));
    return rows.map(toRunEvent);
  }
}
