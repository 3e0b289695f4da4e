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
  private reconnectTimer?: NodeJS.Timeout;
  /** Failed connection attempts in a row: the back-off grows with them. */
  private failures = 0;

  constructor(
    private readonly handle: DbHandle,
    private readonly logger: Logger,
  ) {}

  /** Whether this process currently LISTENs for other processes' events (PostgreSQL). */
  get listening(): boolean {
    return this.listenClient !== undefined;
  }

  async start(): Promise<void> {
    if (this.handle.kind !== 'postgres' || this.listenClient) return;
    this.stopped = false;
    await this.connectListener();
  }

  /**
   * One LISTEN connection. When it is lost (a database restart, a network cut), it is ended and
   * a new one is tried with back-off (0.25 s doubling to 30 s, jittered) for as long as the
   * process lives; a client whose connect failed is ended too, so none leaks.
   */
  private async connectListener(): Promise<void> {
    const client = new pg.Client({ connectionString: this.handle.databaseUrl });
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    client.on('notification', (message) => {
      if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
      const [runId, lastId] = message.payload.split(':');
      if (runId) void this.catchUp(runId, Number(lastId));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.listenClient = client;
    if (this.failures) this.logger.info({ attempts: this.failures }, 'event listener reconnected');
    this.failures = 0;
    // Events committed while we were not listening: catch every subscribed run up.
    for (const runId of this.subs.keys()) void this.catchUp(runId, Number.POSITIVE_INFINITY);
  }

  private lost(client: pg.Client, reason: string): void {
    if (this.listenClient !== client) return; // a client that never became the listener, or an old one
    this.listenClient = undefined;
    this.logger.warn({ err: reason }, 'event listener connection lost; reconnecting');
    void client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7)) * (0.75 + Math.random() * 0.5);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectListener().catch((error: Error) => {
        this.failures++;
        this.logger.warn({ err: error.message, attempts: this.failures }, 'event listener could not reconnect; trying again');
        this.scheduleReconnect();
      });
    }, delay);
    this.reconnectTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
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
