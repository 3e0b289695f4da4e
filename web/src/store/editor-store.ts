/**
 * The editor's one store: the graph (nodes/edges), its undo history, the open
 * pipeline, validation problems and the live run. Components read slices; every
 * change of the graph goes through an action here so undo/redo sees it.
 */
import { create } from 'zustand';
import {
  addEdge,
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type XYPosition,
} from '@xyflow/react';
import type { CatalogNode } from '@pikflow/catalog';
import type {
  NodeRunStatus,
  NodeRunView,
  PipelineAnnotation,
  PipelineDocument,
  PipelineProblem,
  QuotaWaitView,
  RetryView,
  RunEvent,
  RunStatus,
  RunView,
} from '@pikflow/pipeline';
import type { PikEdge, PikNode } from '../lib/graph-types.ts';
import { documentSignature, fromDocument, toDocument } from '../lib/document-mapping.ts';

export interface Snapshot {
  nodes: PikNode[];
  edges: PikEdge[];
  /** Notes and groups, in undo history only (a clipboard snapshot has none). */
  annotations?: PipelineAnnotation[];
}

export interface NodeLive {
  status: NodeRunStatus;
  taskId?: string;
  startedAt?: string;
  submittedAt?: string;
  finishedAt?: string;
  pollCount?: number;
  /** The engine re-sent a submission whose answer was lost: Freepik may have charged twice. */
  possibleDuplicateCharge?: true;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string };
  /** While `waiting_for_quota`: the limit and when the node expects to go. */
  waiting?: QuotaWaitView;
  /** While the engine waits to repeat one of the node's requests (its status is unchanged). */
  retrying?: RetryView;
}

export interface RunState {
  runId: string;
  status: RunStatus;
  pipelineVersion?: number;
  createdAt?: string;
  finishedAt?: string;
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string; nodeId?: string };
  inputs?: Record<string, unknown>;
  /** Cached nodes and Freepik requests (from the run view). */
  usage?: RunView['usage'];
  nodes: Record<string, NodeLive>;
  /** Each node's settings in the version that ran (not the canvas as edited since). */
  params?: Record<string, Record<string, unknown>>;
  /** Following the SSE stream right now. */
  live: boolean;
}

export interface PipelineMeta {
  id?: string;
  name: string;
  /** The version the canvas was loaded from or last saved as. */
  version?: number;
  latestVersion?: number;
}

export interface EditorState {
  catalog: CatalogNode[];
  catalogById: Map<string, CatalogNode>;
  nodes: PikNode[];
  edges: PikEdge[];
  /** Sticky notes and group frames (not part of the DAG; web/src/lib/annotations.ts edits them). */
  annotations: PipelineAnnotation[];
  past: Snapshot[];
  future: Snapshot[];
  clipboard: Snapshot | null;
  pipeline: PipelineMeta;
  savedSignature: string;
  /** The name as last saved: renaming is an unsaved change too. */
  savedName: string;
  problems: PipelineProblem[];
  run: RunState | null;
  /** Bumped whenever a whole document is loaded, so the canvas fits it into view. */
  loadSeq: number;

  setCatalog(catalog: CatalogNode[]): void;
  onNodesChange(changes: NodeChange<PikNode>[]): void;
  onEdgesChange(changes: EdgeChange<PikEdge>[]): void;
  /** Record the graph before a change the user will want to undo. */
  commit(coalesceKey?: string): void;
  connect(connection: Connection): void;
  addNode(type: string, position: XYPosition): string | null;
  updateParam(nodeId: string, key: string, value: unknown): void;
  setLabel(nodeId: string, label: string): void;
  /** A new re-roll nonce for the node: its next run makes a new variation (an unsaved change). */
  reroll(nodeId: string): void;
  deleteSelected(): void;
  selectAll(): void;
  selectOnly(nodeId: string | null): void;
  copySelection(): number;
  /** Pastes the internal clipboard, or `from` (nodes that came through the system clipboard). */
  paste(at?: XYPosition, from?: Snapshot): number;
  undo(): void;
  redo(): void;
  applyPositions(positions: Record<string, XYPosition>): void;
  loadDocument(doc: PipelineDocument, meta: PipelineMeta, opts?: { dirty?: boolean }): void;
  markSaved(meta: Partial<PipelineMeta>): void;
  setPipelineMeta(meta: Partial<PipelineMeta>): void;
  document(): PipelineDocument;
  isDirty(): boolean;
  setProblems(problems: PipelineProblem[]): void;
  setRunView(view: RunView, live: boolean): void;
  applyRunEvent(event: RunEvent): void;
  setRunParams(runId: string, params: Record<string, Record<string, unknown>>): void;
  clearRun(): void;
}

const HISTORY_LIMIT = 100;
let lastCommit = { key: '', at: 0 };

function slug(type: string): string {
  const last = type.split('.').pop() ?? type;
  return last.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase() || 'node';
}

function freshId(type: string, taken: Set<string>): string {
  const base = slug(type);
  for (let i = 1; ; i++) {
    const id = `${base}-${i}`;
    if (!taken.has(id)) return id;
  }
}

export function edgeId(c: { source: string; sourceHandle?: string | null; target: string; targetHandle?: string | null }) {
  return `e-${c.source}.${c.sourceHandle ?? ''}-${c.target}.${c.targetHandle ?? ''}`;
}

function liveFromView(n: NodeRunView): NodeLive {
  return {
    status: n.status,
    taskId: n.taskId,
    startedAt: n.startedAt,
    submittedAt: n.submittedAt,
    finishedAt: n.finishedAt,
    pollCount: n.pollCount,
    ...(n.possibleDuplicateCharge ? { possibleDuplicateCharge: true as const } : {}),
    inputs: n.inputs,
    outputs: n.outputs,
    error: n.error,
    waiting: n.waiting,
    retrying: n.retrying,
  };
}

/**
 * A view fetched a moment before a retry notice (or a quota wait) arrived by the stream lacks it:
 * the stream's notice is kept while the node has not moved on and its wait is not over.
 */
function keepStreamedWait(seen: NodeLive | undefined, merged: NodeLive, now: number): NodeLive {
  if (!seen || nodeRank(merged) !== nodeRank(seen)) return merged;
  const kept = { ...merged };
  if (!merged.retrying && seen.retrying && Date.parse(seen.retrying.retryAt) > now) kept.retrying = seen.retrying;
  if (!merged.waiting && seen.waiting && merged.status === 'waiting_for_quota' && Date.parse(seen.waiting.until) > now) kept.waiting = seen.waiting;
  return kept;
}

function asRetry(data: Record<string, unknown>): RetryView | undefined {
  const { what, reason, attempt, retryAt } = data;
  if (typeof reason !== 'string' || typeof retryAt !== 'string' || typeof attempt !== 'number') return undefined;
  return { what: (typeof what === 'string' ? what : 'submit') as RetryView['what'], reason, attempt, retryAt };
}

function asWait(data: Record<string, unknown>): QuotaWaitView | undefined {
  const { service, reason, until } = data;
  if (typeof service !== 'string' || typeof until !== 'string' || typeof reason !== 'string') return undefined;
  return { service, reason: reason as QuotaWaitView['reason'], until };
}

const TERMINAL_NODE: NodeRunStatus[] = ['succeeded', 'cached', 'bypassed', 'failed', 'skipped', 'cancelled'];

/**
 * How far along a node is. The stream says *running* twice (started locally, then
 * IN_PROGRESS at Freepik after *submitted*) while the stored view keeps *submitted*
 * until the end, so a running node that has a task is further along than submitted.
 * A state of lower rank never replaces a higher one, whichever channel brings it.
 */
export function nodeRank(n: Pick<NodeLive, 'status' | 'taskId' | 'submittedAt'>): number {
  switch (n.status) {
    case 'pending':
      return 0;
    case 'queued':
      return 1;
    // Held back by a Freepik limit: after the job started (running, locally), before any task.
    case 'waiting_for_quota':
      return 2;
    case 'running':
      return n.taskId || n.submittedAt ? 4 : 2;
    case 'submitted':
      return 3;
    // Finished, however: succeeded, cached, bypassed, failed, skipped, cancelled.
    default:
      return 5;
  }
}

const RUN_RANK: Record<RunStatus, number> = { queued: 0, running: 1, succeeded: 2, failed: 2, cancelled: 2 };

export const useEditorStore = create<EditorState>()((set, get) => ({
  catalog: [],
  catalogById: new Map(),
  nodes: [],
  edges: [],
  annotations: [],
  past: [],
  future: [],
  clipboard: null,
  pipeline: { name: 'Untitled pipeline' },
  savedSignature: documentSignature([], []),
  savedName: 'Untitled pipeline',
  problems: [],
  run: null,
  loadSeq: 0,

  setCatalog: (catalog) => set({ catalog, catalogById: new Map(catalog.map((c) => [c.id, c])) }),

  commit: (coalesceKey) => {
    const now = Date.now();
    if (coalesceKey && lastCommit.key === coalesceKey && now - lastCommit.at < 1500) {
      lastCommit.at = now;
      return;
    }
    lastCommit = { key: coalesceKey ?? '', at: now };
    const { nodes, edges, annotations, past } = get();
    set({ past: [...past.slice(-HISTORY_LIMIT + 1), { nodes, edges, annotations }], future: [] });
  },

  onNodesChange: (changes) => {
    if (changes.some((c) => c.type === 'remove' || c.type === 'add' || c.type === 'replace')) get().commit();
    const removed = new Set(changes.filter((c) => c.type === 'remove').map((c) => c.id));
    set((s) => ({
      nodes: applyNodeChanges(changes, s.nodes),
      edges: removed.size ? s.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target)) : s.edges,
    }));
  },

  onEdgesChange: (changes) => {
    if (changes.some((c) => c.type === 'remove' || c.type === 'add' || c.type === 'replace')) get().commit();
    set((s) => ({ edges: applyEdgeChanges(changes, s.edges) }));
  },

  connect: (connection) => {
    get().commit();
    set((s) => ({ edges: addEdge({ ...connection, id: edgeId(connection) }, s.edges) }));
  },

  addNode: (type, position) => {
    const def = get().catalogById.get(type);
    if (!def) return null;
    get().commit();
    const id = freshId(type, new Set(get().nodes.map((n) => n.id)));
    const node: PikNode = {
      id,
      type: 'pik',
      position,
      selected: true,
      data: { type, params: structuredClone(def.defaults ?? {}) },
    };
    set((s) => ({ nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node] }));
    return id;
  },

  updateParam: (nodeId, key, value) => {
    get().commit(`param:${nodeId}:${key}`);
    set((s) => ({
      nodes: s.nodes.map((n) => {
        if (n.id !== nodeId) return n;
        const params = { ...n.data.params };
        if (value === undefined) delete params[key];
        else params[key] = value;
        return { ...n, data: { ...n.data, params } };
      }),
    }));
  },

  setLabel: (nodeId, label) => {
    get().commit(`label:${nodeId}`);
    set((s) => ({
      nodes: s.nodes.map((n) => {
        if (n.id !== nodeId) return n;
        const data = { ...n.data };
        if (label.trim()) data.label = label;
        else delete data.label;
        return { ...n, data };
      }),
    }));
  },

  reroll: (nodeId) => {
    get().commit(`reroll:${nodeId}`);
    set((s) => ({ nodes: s.nodes.map((n) => (n.id === nodeId ? { ...n, data: { ...n.data, reroll: crypto.randomUUID().slice(0, 18) } } : n)) }));
  },

  deleteSelected: () => {
    const { nodes, edges } = get();
    const gone = new Set(nodes.filter((n) => n.selected).map((n) => n.id));
    const edgesLeft = edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target));
    if (!gone.size && edgesLeft.length === edges.length) return;
    get().commit();
    set({ nodes: nodes.filter((n) => !gone.has(n.id)), edges: edgesLeft });
  },

  selectAll: () =>
    set((s) => ({ nodes: s.nodes.map((n) => ({ ...n, selected: true })), edges: s.edges.map((e) => ({ ...e, selected: true })) })),

  selectOnly: (nodeId) =>
    set((s) => ({
      nodes: s.nodes.map((n) => (n.selected === (n.id === nodeId) ? n : { ...n, selected: n.id === nodeId })),
      edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
    })),

  copySelection: () => {
    const { nodes, edges } = get();
    const picked = nodes.filter((n) => n.selected);
    const ids = new Set(picked.map((n) => n.id));
    if (!picked.length) return 0;
    set({
      clipboard: {
        nodes: structuredClone(picked),
        edges: structuredClone(edges.filter((e) => ids.has(e.source) && ids.has(e.target))),
      },
    });
    return picked.length;
  },

  paste: (at, from) => {
    const { nodes, edges } = get();
    const clipboard = from ?? get().clipboard;
    if (!clipboard?.nodes.length) return 0;
    get().commit();
    const taken = new Set(nodes.map((n) => n.id));
    const rename = new Map<string, string>();
    const minX = Math.min(...clipboard.nodes.map((n) => n.position.x));
    const minY = Math.min(...clipboard.nodes.map((n) => n.position.y));
    const offset = at ? { x: at.x - minX, y: at.y - minY } : { x: 40, y: 40 };
    const pasted = clipboard.nodes.map((n) => {
      const id = freshId(n.data.type, taken);
      taken.add(id);
      rename.set(n.id, id);
      return {
        ...structuredClone(n),
        id,
        selected: true,
        position: { x: n.position.x + offset.x, y: n.position.y + offset.y },
      };
    });
    const pastedEdges = clipboard.edges.map((e) => {
      const c = { ...e, source: rename.get(e.source)!, target: rename.get(e.target)!, selected: false };
      return { ...c, id: edgeId(c) };
    });
    // The next paste lands a little further so copies do not stack exactly.
    set({
      nodes: [...nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...pasted],
      edges: [...edges, ...pastedEdges],
      clipboard: from ? get().clipboard : at ? clipboard : { ...clipboard, nodes: pasted.map((n) => ({ ...n, selected: false })), edges: pastedEdges },
    });
    return pasted.length;
  },

  undo: () => {
    const { past, future, nodes, edges, annotations } = get();
    const prev = past[past.length - 1];
    if (!prev) return;
    lastCommit = { key: '', at: 0 };
    set({ past: past.slice(0, -1), future: [{ nodes, edges, annotations }, ...future], nodes: prev.nodes, edges: prev.edges, annotations: prev.annotations ?? annotations });
  },

  redo: () => {
    const { past, future, nodes, edges, annotations } = get();
    const next = future[0];
    if (!next) return;
    lastCommit = { key: '', at: 0 };
    set({ past: [...past, { nodes, edges, annotations }], future: future.slice(1), nodes: next.nodes, edges: next.edges, annotations: next.annotations ?? annotations });
  },

  applyPositions: (positions) => {
    get().commit();
    set((s) => ({ nodes: s.nodes.map((n) => (positions[n.id] ? { ...n, position: positions[n.id] } : n)) }));
  },

  loadDocument: (doc, meta, opts) => {
    const { nodes, edges, annotations } = fromDocument(doc);
    lastCommit = { key: '', at: 0 };
    set({
      nodes,
      edges,
      annotations,
      past: [],
      future: [],
      pipeline: meta,
      savedSignature: opts?.dirty ? '' : documentSignature(nodes, edges, annotations),
      savedName: meta.name,
      problems: [],
      run: null,
      loadSeq: get().loadSeq + 1,
    });
  },

  markSaved: (meta) =>
    set((s) => ({
      pipeline: { ...s.pipeline, ...meta },
      savedSignature: documentSignature(s.nodes, s.edges, s.annotations),
      savedName: meta.name ?? s.pipeline.name,
    })),

  setPipelineMeta: (meta) => set((s) => ({ pipeline: { ...s.pipeline, ...meta } })),

  document: () => toDocument(get().nodes, get().edges, get().annotations),

  isDirty: () =>
    get().pipeline.name !== get().savedName || documentSignature(get().nodes, get().edges, get().annotations) !== get().savedSignature,

  setProblems: (problems) => set({ problems }),

  setRunView: (view, live) => {
    const before = get().run?.runId === view.id ? get().run!.nodes : {};
    const nodes: Record<string, NodeLive> = {};
    for (const n of view.nodes ?? []) {
      const fresh = liveFromView(n);
      const seen = before[n.nodeId];
      // The stream may be ahead of a view fetched a moment ago: never step a node back.
      const merged = seen && nodeRank(seen) > nodeRank({ ...seen, ...fresh }) ? { ...fresh, ...seen } : { ...seen, ...fresh };
      nodes[n.nodeId] = keepStreamedWait(seen, merged, Date.now());
    }
    const seenRun = get().run?.runId === view.id ? get().run!.status : undefined;
    set({
      run: {
        runId: view.id,
        status: seenRun && RUN_RANK[seenRun] > RUN_RANK[view.status] ? seenRun : view.status,
        pipelineVersion: view.pipelineVersion,
        createdAt: view.createdAt,
        finishedAt: view.finishedAt,
        outputs: view.outputs,
        error: view.error,
        inputs: view.inputs,
        usage: view.usage,
        nodes,
        params: get().run?.runId === view.id ? get().run!.params : undefined,
        live: live && (view.status === 'queued' || view.status === 'running'),
      },
    });
  },

  applyRunEvent: (event) => {
    const run = get().run;
    if (!run || run.runId !== event.runId) return;
    const nodes = { ...run.nodes };
    const data = event.data ?? {};
    const patchNode = (patch: Partial<NodeLive>) => {
      if (!event.nodeId) return;
      const before = nodes[event.nodeId] ?? { status: 'pending' as NodeRunStatus };
      // A late progress event never turns a finished node back to running.
      if (TERMINAL_NODE.includes(before.status) && patch.status && !TERMINAL_NODE.includes(patch.status)) return;
      // Any news of a node but a wait ends its wait: it moved on (a retry notice or quota wait is its own event).
      const after = { ...before, ...(event.type === 'node.retrying' || event.type === 'node.waiting' ? {} : { retrying: undefined, waiting: undefined }), ...patch };
      // Nor a late event a node back to an earlier state (its other news still counts).
      nodes[event.nodeId] = nodeRank(after) < nodeRank(before) ? { ...after, status: before.status } : after;
    };
    let status = run.status;
    let extra: Partial<RunState> = {};
    switch (event.type) {
      case 'run.queued':
        if (status !== 'running') status = 'queued';
        break;
      case 'run.started':
        if (status === 'queued') status = 'running';
        break;
      case 'node.queued':
        patchNode({ status: 'queued' });
        break;
      case 'node.started':
        patchNode({ status: 'running', startedAt: event.at });
        break;
      case 'node.waiting':
        // Held back by a Freepik limit until data.until (engine limiter.ts).
        patchNode({ status: 'waiting_for_quota', waiting: asWait(data), retrying: undefined });
        break;
      case 'node.retrying':
        // The engine waits to repeat a request (a 503, a refused connection): shown until the node moves on.
        patchNode({ retrying: asRetry(data) });
        break;
      case 'node.submitted':
        patchNode({
          status: 'submitted',
          taskId: typeof data.taskId === 'string' ? data.taskId : undefined,
          submittedAt: event.at,
        });
        break;
      case 'node.progress':
        // Freepik's own task status: once it is IN_PROGRESS the node is running there.
        patchNode({
          status: data.status === 'IN_PROGRESS' ? 'running' : 'submitted',
          ...(typeof data.pollCount === 'number' ? { pollCount: data.pollCount } : {}),
          ...(data.possibleDuplicateCharge === true ? { possibleDuplicateCharge: true as const } : {}),
        });
        break;
      case 'node.completed':
        patchNode({
          // Served from the result cache: its own status (the badge), no request was made.
          status: data.status === 'cached' || data.status === 'bypassed' ? data.status : 'succeeded',
          finishedAt: event.at,
          outputs: (data.outputs as Record<string, unknown> | undefined) ?? nodes[event.nodeId ?? '']?.outputs,
        });
        break;
      case 'node.failed':
        patchNode({
          status: 'failed',
          finishedAt: event.at,
          error: (data.error as NodeLive['error']) ?? { code: 'failed', message: 'failed' },
        });
        break;
      case 'node.skipped':
        patchNode({ status: 'skipped', finishedAt: event.at });
        break;
      case 'run.finished':
        status = (data.status as RunStatus) ?? 'succeeded';
        extra = {
          live: false,
          finishedAt: event.at,
          outputs: (data.outputs as Record<string, unknown>) ?? run.outputs,
          error: (data.error as RunState['error']) ?? run.error,
        };
        break;
    }
    set({ run: { ...run, status, nodes, ...extra } });
  },

  setRunParams: (runId, params) => {
    const run = get().run;
    if (run?.runId === runId) set({ run: { ...run, params } });
  },

  clearRun: () => set({ run: null }),
}));
