/**
 * Shapes the REST API returns and the editor consumes. Pure types: the web bundle
 * imports them without pulling server code.
 */
import type { PipelineDocument, PipelineProblem } from './document.ts';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type NodeRunStatus =
  | 'pending'
  | 'queued'
  | 'running'
  | 'submitted'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';

/** A stored file. `url` is served by this server (`/api/assets/:id`), relative to its origin. */
export interface AssetRef {
  assetId: string;
  url: string;
  mime: string;
  size?: number;
  width?: number;
  height?: number;
}

export interface ErrorView {
  code: string;
  message: string;
  nodeId?: string;
}

export interface NodeRunView {
  nodeId: string;
  nodeType: string;
  status: NodeRunStatus;
  taskId?: string;
  attempt: number;
  pollCount: number;
  /**
   * A submission whose answer was lost was sent again (the documented policy, see the engine's
   * README): Freepik may have charged for this node twice.
   */
  possibleDuplicateCharge?: true;
  startedAt?: string;
  submittedAt?: string;
  finishedAt?: string;
  /** Values per input port as the node received them (assets as AssetRef). */
  inputs?: Record<string, unknown>;
  /** Values per output port (image ports: AssetRef; lists: AssetRef[]). */
  outputs?: Record<string, unknown>;
  error?: ErrorView;
}

export interface RunView {
  id: string;
  pipelineId?: string;
  pipelineVersion?: number;
  status: RunStatus;
  inputs: Record<string, unknown>;
  /** Values per Output node name. */
  outputs?: Record<string, unknown>;
  error?: ErrorView;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  nodes: NodeRunView[];
}

export type RunEventType =
  | 'run.queued'
  | 'run.started'
  | 'node.queued'
  | 'node.started'
  | 'node.submitted'
  | 'node.progress'
  | 'node.completed'
  | 'node.failed'
  | 'node.skipped'
  | 'run.finished';

/** One live-progress event; `id` increases within a run (SSE Last-Event-ID). */
export interface RunEvent {
  id: number;
  runId: string;
  type: RunEventType;
  nodeId?: string;
  at: string;
  /** node.submitted: {taskId}; node.progress: {status, pollCount}; node.completed: {outputs};
   *  node.failed: {error}; run.finished: {status, outputs?, error?}. */
  data?: Record<string, unknown>;
}

export interface PipelineSummary {
  id: string;
  name: string;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface PipelineView extends PipelineSummary {
  version: number;
  document: PipelineDocument;
  /** Versions, newest first. */
  versions?: { version: number; createdAt: string }[];
}

export interface TemplateView {
  id: string;
  name: string;
  description: string;
  document: PipelineDocument;
}

export interface HealthView {
  status: 'ok';
  mode: 'simulator' | 'freepik';
  database: 'pglite' | 'postgres';
  version: string;
  webhooks: boolean;
}

/** Body of every 4xx/5xx response. */
export interface ApiErrorBody {
  error: { code: string; message: string; nodeId?: string; field?: string; problems?: (PipelineProblem | { message: string; field?: string; nodeId?: string })[] };
}
