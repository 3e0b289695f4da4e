import { randomUUID } from 'node:crypto';
import type { OutputFile, ProduceResult, SimTaskStatus, SimTaskView, TaskEndpoint } from '../endpoints/types.ts';

/** What fault injection decided for a task when it was created. */
export type TaskFate = 'normal' | 'fail' | 'stuck';

type Production =
  | { state: 'pending' }
  | { state: 'done'; result: ProduceResult }
  | { state: 'failed'; reason: string };

export interface Task {
  id: string;
  endpoint: TaskEndpoint;
  apiKey: string;
  /** Base URL the client used, so result URLs point back at this simulator as it was reached. */
  origin: string;
  webhookUrl?: string;
  fate: TaskFate;
  createdAt: number;
  inProgressAt: number;
  doneAt: number;
  ttlMs: number;
  status: SimTaskStatus;
  production: Production;
  generated: string[];
  extra: Record<string, unknown>;
}

export interface NewTask {
  endpoint: TaskEndpoint;
  apiKey: string;
  origin: string;
  webhookUrl?: string;
  fate: TaskFate;
  latencyMs: number;
  ttlMs: number;
  /** Makes the result; called once, right after the task exists (not for stuck or failed fates). */
  produce: (taskId: string) => Promise<ProduceResult>;
}

export interface LifecycleHooks {
  /** Stores a result file and returns its URL. */
  storeFile(file: OutputFile, origin: string, ttlMs: number): string;
  /** Called once per status change, in order. */
  onChange(task: Task): void;
  onProduceError(task: Task, reason: string): void;
}

const TERMINAL = new Set<SimTaskStatus>(['COMPLETED', 'FAILED']);
export const isTerminal = (status: SimTaskStatus) => TERMINAL.has(status);

/**
 * Tasks and their lifecycle. A task's status is a function of time: CREATED
 * until 20 % of its latency, IN_PROGRESS until its latency has passed and its
 * output is made, then COMPLETED or FAILED. `advance` applies that function;
 * it runs on every read and from timers (so webhooks fire without polling).
 */
export class TaskStore {
  private tasks = new Map<string, Task>();
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    private hooks: LifecycleHooks,
    private now: () => number = Date.now,
  ) {}

  create(input: NewTask): Task {
    const createdAt = this.now();
    const task: Task = {
      id: randomUUID(),
      endpoint: input.endpoint,
      apiKey: input.apiKey,
      origin: input.origin,
      webhookUrl: input.webhookUrl,
      fate: input.fate,
      createdAt,
      inProgressAt: createdAt + Math.round(input.latencyMs * 0.2),
      doneAt: createdAt + input.latencyMs,
      ttlMs: input.ttlMs,
      status: 'CREATED',
      production: { state: 'pending' },
      generated: [],
      extra: {},
    };
    this.tasks.set(task.id, task);
    if (task.fate === 'stuck') return task; // never moves; nothing to make
    if (task.fate === 'normal') {
      input.produce(task.id).then(
        (result) => this.settle(task, { state: 'done', result }),
        (e: unknown) => {
          const reason = e instanceof Error ? e.message : String(e);
          this.hooks.onProduceError(task, reason);
          this.settle(task, { state: 'failed', reason });
        },
      );
    } else {
      task.production = { state: 'failed', reason: 'injected failure' };
    }
    this.schedule(task, task.inProgressAt);
    this.schedule(task, task.doneAt);
    return task;
  }

  /** The task with its status brought up to now. */
  get(taskId: string): Task | undefined {
    const task = this.tasks.get(taskId);
    if (task) this.advance(task);
    return task;
  }

  /** Tasks of one key and endpoint, oldest first, statuses brought up to now. */
  list(apiKey: string, endpointId: string): Task[] {
    const found: Task[] = [];
    for (const task of this.tasks.values()) {
      if (task.apiKey !== apiKey || task.endpoint.id !== endpointId) continue;
      this.advance(task);
      found.push(task);
    }
    return found;
  }

  /** Unfinished tasks of one key across the endpoints of a concurrency group. */
  unfinished(apiKey: string, group: string): number {
    let count = 0;
    for (const task of this.tasks.values()) {
      if (task.apiKey !== apiKey || (task.endpoint.concurrencyGroup ?? task.endpoint.id) !== group) continue;
      this.advance(task);
      if (!isTerminal(task.status)) count++;
    }
    return count;
  }

  view(task: Task): SimTaskView {
    return {
      taskId: task.id,
      endpointId: task.endpoint.id,
      status: task.status,
      generated: [...task.generated],
      extra: { ...task.extra },
      ...(task.webhookUrl ? { webhookUrl: task.webhookUrl } : {}),
    };
  }

  clear(): void {
    this.close();
    this.tasks.clear();
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private settle(task: Task, production: Production): void {
    if (!this.tasks.has(task.id)) return;
    task.production = production;
    this.advance(task);
  }

  private schedule(task: Task, at: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.tasks.has(task.id)) return;
      // Timers may fire a millisecond before Date.now() reaches `at`; try again rather than miss the change.
      if (this.now() < at) return this.schedule(task, at);
      this.advance(task);
    }, Math.max(0, at - this.now()));
    timer.unref();
    this.timers.add(timer);
  }

  private advance(task: Task): void {
    if (task.fate === 'stuck' || isTerminal(task.status)) return;
    const now = this.now();
    if (task.status === 'CREATED' && now >= task.inProgressAt) this.move(task, 'IN_PROGRESS');
    if (task.status !== 'IN_PROGRESS' || now < task.doneAt) return;
    const production = task.production;
    if (production.state === 'pending') return; // settle() advances again
    if (production.state === 'failed') return this.move(task, 'FAILED');
    // Result URLs start their lifetime when they are handed out, like signed URLs.
    task.generated = (production.result.files ?? []).map((f) => this.hooks.storeFile(f, task.origin, task.ttlMs));
    task.extra = production.result.extra ?? {};
    task.production = { state: 'done', result: {} }; // the bytes now live in the file store
    this.move(task, 'COMPLETED');
  }

  private move(task: Task, status: SimTaskStatus): void {
    task.status = status;
    this.hooks.onChange(task);
  }
}
