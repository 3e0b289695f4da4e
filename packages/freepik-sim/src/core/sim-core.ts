import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ImageAccepts, OutputFile, SimServices, SimTaskView, TaskEndpoint } from '../endpoints/types.ts';
import { type SimConfig, type SimConfigInput, defaultConfig, mergeConfig } from './config.ts';
import { FileStore } from './files.ts';
import { RateLimiter, apiKeyOf } from './guard.ts';
import { decodeImage } from './images.ts';
import { createRng } from './rng.ts';
import { type CountKind, StatsRecorder } from './stats.ts';
import { type Task, type TaskFate, TaskStore } from './tasks.ts';
import { parseOrThrow } from './validation.ts';
import { WebhookSender } from './webhooks.ts';

export const FILES_PREFIX = '/__sim/files/';
const DEFAULT_LATENCY_MS = 3_000;

/** The webhook body: the status response without `data`. */
export function taskPayload(task: Task) {
  return {
    task_id: task.id,
    status: task.status,
    generated: task.generated,
    ...(task.status === 'COMPLETED' ? task.extra : {}),
  };
}

/** State and services shared by every route: config, RNG, stats, files, tasks, webhooks. */
export class SimCore implements SimServices {
  config: SimConfig;
  readonly stats = new StatsRecorder();
  readonly files = new FileStore(() => this.config.maxStoredFileBytes);
  readonly limiter = new RateLimiter();
  readonly tasks: TaskStore;
  readonly webhooks: WebhookSender;
  private random: () => number;
  private sweeper: NodeJS.Timeout;

  constructor(
    options: SimConfigInput,
    private log: FastifyBaseLogger,
    private publicUrl?: string,
  ) {
    this.config = mergeConfig(defaultConfig(), options);
    this.random = createRng(this.config.seed);
    this.webhooks = new WebhookSender(
      () => ({
        secret: this.config.webhookSecret,
        retries: this.config.webhookRetries,
        retryBaseMs: this.config.webhookRetryBaseMs,
        timeoutMs: this.config.webhookTimeoutMs,
      }),
      (apiKey, outcome) => this.stats.webhook(apiKey, outcome),
      log,
    );
    this.tasks = new TaskStore({
      storeFile: (file, origin, ttlMs) => this.storeFile(file, origin, ttlMs),
      onChange: (task) => {
        if (task.webhookUrl) this.webhooks.enqueue(task.id, task.apiKey, task.webhookUrl, taskPayload(task));
      },
      onProduceError: (task, reason) => this.log.warn({ taskId: task.id, endpoint: task.endpoint.id, reason }, 'task failed'),
    });
    this.sweeper = setInterval(() => this.files.sweep(), 60_000);
    this.sweeper.unref();
  }

  configure(patch: SimConfigInput): SimConfig {
    this.config = mergeConfig(this.config, patch);
    if (patch.seed !== undefined) this.random = createRng(this.config.seed);
    return this.config;
  }

  rng(): number {
    return this.random();
  }

  apiKeyOf(request: FastifyRequest): string {
    return apiKeyOf(request);
  }

  originOf(request: FastifyRequest): string {
    if (this.publicUrl) return this.publicUrl.replace(/\/$/, '');
    return `${request.protocol}://${request.host}`;
  }

  parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
    return parseOrThrow(schema, value);
  }

  decodeImage(field: string, value: string, accepts: ImageAccepts) {
    return decodeImage(field, value, accepts, this.config);
  }

  storeFile(file: OutputFile, origin: string, ttlMs?: number): string {
    return `${origin}${FILES_PREFIX}${this.files.put(file, ttlMs ?? this.config.resultTtlMs)}`;
  }

  getTask(apiKey: string, taskId: string): SimTaskView | undefined {
    const task = this.tasks.get(taskId);
    return task && task.apiKey === apiKey ? this.tasks.view(task) : undefined;
  }

  startTask(request: FastifyRequest, endpoint: TaskEndpoint, body: Record<string, unknown>, webhookUrl?: string): SimTaskView {
    const task = this.tasks.create({
      endpoint,
      apiKey: this.apiKeyOf(request),
      origin: this.originOf(request),
      webhookUrl,
      fate: this.drawFate(),
      latencyMs: this.latencyOf(endpoint),
      ttlMs: endpoint.resultTtlMs ?? this.config.resultTtlMs,
      produce: (taskId) =>
        endpoint.produce({
          body,
          images: {},
          endpointId: endpoint.id,
          taskId,
          rng: () => this.rng(),
          maxOutputPixels: this.config.maxOutputPixels,
          maxInputPixels: this.config.maxInputPixels,
        }),
    });
    return this.tasks.view(task);
  }

  count(apiKey: string, endpointId: string, kind: CountKind): void {
    this.stats.count(apiKey, endpointId, kind);
  }

  latencyOf(endpoint: TaskEndpoint): number {
    return this.config.latencyByEndpoint[endpoint.id] ?? this.config.latencyMs ?? endpoint.latencyMs ?? DEFAULT_LATENCY_MS;
  }

  /** Fault injection for a new task: stuck first, then failed, by configured fraction. */
  drawFate(): TaskFate {
    const { stuckTasks, failedTasks } = this.config.faults;
    if (stuckTasks + failedTasks <= 0) return 'normal';
    const draw = this.rng();
    if (draw < stuckTasks) return 'stuck';
    if (draw < stuckTasks + failedTasks) return 'fail';
    return 'normal';
  }

  /** Whether to cut the connection after creating a task (an ambiguous submit). */
  drawLostResponse(): boolean {
    const fraction = this.config.faults.lostCreateResponses;
    return fraction > 0 && this.rng() < fraction;
  }

  /** Clears counters and rate-limit windows (tasks and files stay, so running work continues). */
  resetStats(): void {
    this.stats.reset();
    this.limiter.reset();
  }

  close(): void {
    clearInterval(this.sweeper);
    this.tasks.close();
    this.webhooks.close();
  }
}
