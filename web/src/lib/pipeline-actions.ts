/**
 * What the buttons and shortcuts do: load, save, version, run and follow runs.
 * Each action talks to the server through api-client and reports failures as
 * readable toasts instead of throwing into React.
 */
import type { PipelineDocument, RunEvent, RunView } from '@pikflow/pipeline';
import { api, ApiError, apiToken, errorMessage, whenUnauthorized, type RunCacheOptions } from './api-client.ts';
import { useEditorStore, type EditorState } from '../store/editor-store.ts';
import { toast, useUiStore } from '../store/ui-store.ts';
import { parseImportedJson } from './document-mapping.ts';
import { fileSlug } from './run-values.ts';

const EMPTY: PipelineDocument = { version: 1, nodes: [], edges: [] };

/** A new pipeline's name until the user gives it one (a run asks for a real one first). */
export const DEFAULT_NAME = 'Untitled pipeline';

/** `#/pipelines/<id>` keeps the open pipeline across reloads. */
export function pipelineIdFromHash(): string | undefined {
  const m = /^#\/pipelines\/([^/?]+)/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]) : undefined;
}

function setHash(id: string | undefined) {
  const want = id ? `#/pipelines/${encodeURIComponent(id)}` : '#/';
  if (window.location.hash !== want) window.history.replaceState(null, '', want);
}

/** Server problems (400 on save) land on their nodes. */
function showProblems(e: unknown): boolean {
  if (e instanceof ApiError && e.problems.length) {
    useEditorStore.getState().setProblems(
      e.problems.map((p) => ({ code: (('code' in p && p.code) || 'invalid_document') as never, ...p })),
    );
    return true;
  }
  return false;
}

export async function bootstrap(): Promise<void> {
  whenUnauthorized(() => useUiStore.getState().openDialog('token'));
  api
    .health()
    .then((h) => useUiStore.getState().setHealth(h))
    .catch(() => useUiStore.getState().setHealth(null));
  try {
    useEditorStore.getState().setCatalog(await api.catalog());
  } catch (e) {
    toast('error', `Could not load the node catalog: ${errorMessage(e)}`);
  }
  const id = pipelineIdFromHash();
  if (id) await openPipeline(id);
}

export async function openPipeline(id: string, version?: number): Promise<boolean> {
  stopFollowing();
  try {
    const view = await api.getPipeline(id, version);
    useEditorStore
      .getState()
      .loadDocument(
        view.document,
        { id: view.id, name: view.name, version: view.version, latestVersion: view.latestVersion },
        { dirty: version !== undefined && version !== view.latestVersion },
      );
    setHash(view.id);
    useUiStore.getState().openDialog(null);
    validateNow();
    return true;
  } catch (e) {
    toast('error', errorMessage(e), 'Could not open the pipeline');
    if (e instanceof ApiError && e.status === 404) setHash(undefined);
    return false;
  }
}

export function newBlankPipeline(name = DEFAULT_NAME) {
  stopFollowing();
  useEditorStore.getState().loadDocument(EMPTY, { name });
  setHash(undefined);
  useUiStore.getState().openDialog(null);
  validateNow();
}

export async function createFromTemplate(templateId: string, name?: string) {
  try {
    const { id } = await api.createFromTemplate(templateId, name);
    await openPipeline(id);
    toast('success', 'Pipeline created from the template');
  } catch (e) {
    toast('error', errorMessage(e), 'Could not create from the template');
  }
}

/** Saves the canvas as a new version (or a new pipeline). Returns the id, or null when it failed. */
export async function savePipeline(): Promise<string | null> {
  const store = useEditorStore.getState();
  const { pipeline } = store;
  const document = store.document();
  try {
    // baseVersion turns a save over someone else's newer version into a clear 409.
    const base = pipeline.version && pipeline.version === pipeline.latestVersion ? pipeline.version : undefined;
    const result = pipeline.id
      ? await api.savePipeline(pipeline.id, pipeline.name, document, base)
      : await api.createPipeline(pipeline.name, document);
    useEditorStore.getState().markSaved({ id: result.id, version: result.version, latestVersion: result.version });
    setHash(result.id);
    if (result.problems?.length) {
      useEditorStore.getState().setProblems(result.problems);
      const n = result.problems.length;
      toast('warning', `Saved as version ${result.version} with ${n} problem${n === 1 ? '' : 's'} to fix before it can run`);
    } else {
      toast('success', `Saved “${pipeline.name}” as version ${result.version}`);
      validateNow();
    }
    return result.id;
  } catch (e) {
    const onNodes = showProblems(e);
    toast(
      'error',
      onNodes ? `${errorMessage(e)} — the problems are marked on the nodes` : errorMessage(e),
      'Not saved',
    );
    return null;
  }
}

/** Renaming a saved pipeline is saved at once; it does not make a new version of the graph. */
export async function renamePipeline(name: string) {
  const trimmed = name.trim();
  if (!trimmed) return;
  const { pipeline, setPipelineMeta } = useEditorStore.getState();
  if (trimmed === pipeline.name) return;
  setPipelineMeta({ name: trimmed });
  if (!pipeline.id) return;
  try {
    await api.renamePipeline(pipeline.id, trimmed);
    useEditorStore.setState({ savedName: trimmed });
    toast('success', `Renamed to “${trimmed}”`);
  } catch (e) {
    toast('error', errorMessage(e), 'Not renamed');
  }
}

export async function deletePipeline(id: string) {
  try {
    await api.deletePipeline(id);
    if (useEditorStore.getState().pipeline.id === id) newBlankPipeline();
    toast('info', 'Pipeline deleted');
  } catch (e) {
    toast('error', errorMessage(e), 'Could not delete');
  }
}

/** Makes an old version the newest one again (a new version with its document). */
export async function restoreVersion(version: number) {
  const { pipeline } = useEditorStore.getState();
  if (!pipeline.id) return;
  try {
    const old = await api.getPipeline(pipeline.id, version);
    const saved = await api.savePipeline(pipeline.id, pipeline.name, old.document);
    await openPipeline(pipeline.id);
    toast('success', `Restored version ${version} as version ${saved.version}`);
  } catch (e) {
    toast('error', errorMessage(e), 'Could not restore');
  }
}

export function exportPipeline() {
  const { pipeline, document } = useEditorStore.getState();
  const blob = new Blob([JSON.stringify({ name: pipeline.name, ...document() }, null, 2)], { type: 'application/json' });
  const a = window.document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${fileSlug(pipeline.name, 'pipeline')}.pikflow.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export async function importPipeline(file: File) {
  try {
    const { name, document } = parseImportedJson(await file.text());
    stopFollowing();
    useEditorStore
      .getState()
      .loadDocument(document, { name: name ?? file.name.replace(/(\.pikflow)?\.json$/i, '') }, { dirty: true });
    setHash(undefined);
    validateNow();
    toast('info', 'Imported — save to keep it as a new pipeline');
  } catch (e) {
    toast('error', errorMessage(e), 'Could not import');
  }
}

// ---- validation -------------------------------------------------------------

let validateTimer: ReturnType<typeof setTimeout> | undefined;
let validateSeq = 0;
let validateRouteMissing = false;

// The validator brings the whole catalog and zod: loaded after the first screen, not in it.
let validator: Promise<typeof import('@pikflow/pipeline').validatePipeline> | undefined;
let localSeq = 0;

/** The same validation the server runs, in the browser: instant feedback while editing. */
function validateLocally(document: PipelineDocument) {
  validator ??= import('@pikflow/pipeline').then((m) => m.validatePipeline);
  const seq = ++localSeq;
  validator
    .then((validatePipeline) => {
      // Only the newest document's problems: an older check may finish after a newer one started.
      if (seq === localSeq) useEditorStore.getState().setProblems(validatePipeline(document).problems);
    })
    .catch((e: unknown) => console.warn('[pikflow] local validation failed', e));
}

/** The server has the last word (it may know more, e.g. its own URL rules). */
function validateOnServer() {
  if (validateRouteMissing) return;
  const seq = ++validateSeq;
  const document = useEditorStore.getState().document();
  api
    .validate(document)
    .then((r) => {
      if (seq === validateSeq && Array.isArray(r?.problems)) {
        localSeq++; // a browser check still pending must not overwrite the server's answer
        useEditorStore.getState().setProblems(r.problems);
      }
    })
    .catch((e) => {
      if (e instanceof ApiError && e.status === 404) validateRouteMissing = true;
      else if (seq === validateSeq) showProblems(e);
    });
}

export function validateNow() {
  clearTimeout(validateTimer);
  validateLocally(useEditorStore.getState().document());
  validateOnServer();
}

export function validateSoon() {
  clearTimeout(validateTimer);
  validateLocally(useEditorStore.getState().document());
  validateTimer = setTimeout(validateOnServer, 500);
}

// ---- runs -------------------------------------------------------------------

let source: EventSource | undefined;
let poller: ReturnType<typeof setInterval> | undefined;

export function stopFollowing() {
  source?.close();
  source = undefined;
  clearInterval(poller);
  poller = undefined;
}

const EVENT_TYPES: RunEvent['type'][] = [
  'run.queued',
  'run.started',
  'node.queued',
  'node.started',
  'node.submitted',
  'node.progress',
  'node.completed',
  'node.failed',
  'node.skipped',
  'run.finished',
];

async function refreshRun(runId: string, live: boolean): Promise<RunView | null> {
  try {
    const view = await api.getRun(runId);
    if (useEditorStore.getState().run?.runId === runId || !useEditorStore.getState().run) {
      useEditorStore.getState().setRunView(view, live);
    }
    return view;
  } catch (e) {
    toast('error', errorMessage(e), 'Could not load the run');
    return null;
  }
}

function finished(view: RunView | null) {
  return !!view && view.status !== 'queued' && view.status !== 'running';
}

function announce(view: RunView) {
  if (view.status === 'succeeded') toast('success', 'Run finished');
  else if (view.status === 'failed') toast('error', view.error?.message ?? 'The run failed', 'Run failed');
  else if (view.status === 'cancelled') toast('info', 'Run cancelled');
}

const versionParams = new Map<string, Promise<Record<string, Record<string, unknown>>>>();

/** The settings each node had in the version that ran: a run row shows what produced it. */
async function loadRunParams(view: RunView) {
  if (!view.pipelineId || !view.pipelineVersion) return;
  const key = `${view.pipelineId}@${view.pipelineVersion}`;
  let params = versionParams.get(key);
  if (!params) {
    params = api
      .getPipeline(view.pipelineId, view.pipelineVersion)
      .then((p) => Object.fromEntries(p.document.nodes.map((n) => [n.id, n.params ?? {}])));
    versionParams.set(key, params);
    params.catch(() => versionParams.delete(key));
  }
  try {
    useEditorStore.getState().setRunParams(view.id, await params);
  } catch {
    // The version is gone (a deleted pipeline): the rows just show no settings.
  }
}

/**
 * Opens a run from the history on the graph it ran: a v1 run is drawn on version 1,
 * not on the newest version's nodes and settings.
 */
export async function openRun(view: RunView) {
  const { pipeline, isDirty } = useEditorStore.getState();
  if (view.pipelineId && view.pipelineVersion && (view.pipelineId !== pipeline.id || view.pipelineVersion !== pipeline.version)) {
    if (isDirty() && !window.confirm('Showing this run opens the version it ran; your unsaved changes will be lost.')) return;
    if (!(await openPipeline(view.pipelineId, view.pipelineVersion))) return;
  }
  await followRun(view.id);
}

/** Shows a run on the canvas and, while it is active, follows its events. */
export async function followRun(runId: string) {
  stopFollowing();
  useEditorStore.getState().clearRun();
  const first = await refreshRun(runId, true);
  if (!first) return;
  void loadRunParams(first);
  if (finished(first)) return;
  let done = false;
  const finish = async () => {
    if (done) return;
    done = true;
    stopFollowing();
    const view = await refreshRun(runId, false);
    if (view) announce(view);
  };
  const onMessage = (msg: MessageEvent<string>) => {
    let event: RunEvent;
    try {
      event = JSON.parse(msg.data) as RunEvent;
    } catch {
      return;
    }
    if (!event.runId) event.runId = runId;
    useEditorStore.getState().applyRunEvent(event);
    // Completed nodes carry asset refs; the run view has them with sizes.
    if (event.type === 'node.completed') void refreshRun(runId, true);
    if (event.type === 'run.finished') void finish();
  };
  // EventSource cannot send a bearer token: with one, the run view is polled instead.
  if (!apiToken()) {
    source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
    source.onmessage = onMessage;
    for (const type of EVENT_TYPES) source.addEventListener(type, onMessage as EventListener);
  }
  // A safety net: if the stream drops, the run view still arrives.
  poller = setInterval(
    async () => {
      const view = await refreshRun(runId, true);
      if (finished(view)) void finish();
    },
    apiToken() ? 1000 : 2500,
  );
}

/** Why ▶ Run cannot start now, in a few words; null when it can. */
export function runBlocker(s: Pick<EditorState, 'nodes' | 'problems'>): string | null {
  if (s.nodes.length === 0) return 'Add nodes to run';
  const n = s.problems.length;
  if (n) return `Fix ${n} problem${n === 1 ? '' : 's'} to run`;
  return null;
}

/**
 * The pipeline's id, ready to run: saved first when it is new or changed (under `name` for a
 * first save). Null, with a toast titled `refused`, when it cannot run or the save failed.
 */
export async function saveForRun(name: string | undefined, refused: string): Promise<string | null> {
  // Never save a version that cannot run just to have the run refused.
  const blocked = runBlocker(useEditorStore.getState());
  if (blocked) {
    toast('warning', blocked, refused);
    return null;
  }
  if (name?.trim() && !useEditorStore.getState().pipeline.id) useEditorStore.getState().setPipelineMeta({ name: name.trim() });
  const id = useEditorStore.getState().pipeline.id;
  if (id && !useEditorStore.getState().isDirty()) return id;
  return savePipeline();
}

/** Starts a run (saving first when needed); `name` names a first save, `cache` are the run's result-cache options. */
export async function startRun(inputs: Record<string, unknown>, options: { name?: string; cache?: RunCacheOptions } = {}): Promise<boolean> {
  const { name, cache = {} } = options;
  const id = await saveForRun(name, 'Run not started');
  if (!id) return false;
  try {
    const { runId } = await api.startRun(id, inputs, undefined, cache);
    useUiStore.getState().setRightTab('runs');
    await followRun(runId);
    return true;
  } catch (e) {
    showProblems(e);
    toast('error', errorMessage(e), 'Run not started');
    return false;
  }
}

/** Retry: a new run of the same version and inputs that reuses every node the failed run completed. */
export async function retryRun(runId: string): Promise<void> {
  try {
    const { runId: retry } = await api.retryRun(runId);
    useUiStore.getState().setRightTab('runs');
    await followRun(retry);
  } catch (e) {
    toast('error', errorMessage(e), 'Could not retry');
  }
}

/** Run from here: the last run's inputs again, this node and what follows it re-run, the rest from the cache. */
export async function runFromHere(nodeId: string): Promise<boolean> {
  const inputs = useEditorStore.getState().run?.inputs;
  if (!inputs) {
    toast('info', 'Run the pipeline once first: "Run from here" reuses that run\'s inputs.');
    return false;
  }
  return startRun(inputs, { cache: { refresh: [nodeId] } });
}

/**
 * Re-roll: a new nonce saved in the node (so later runs keep the new variation), then a run of the
 * last run's inputs in which this node and what follows it run again; upstream comes from the cache.
 */
export async function rerollNode(nodeId: string): Promise<boolean> {
  if (!useEditorStore.getState().run?.inputs) return runFromHere(nodeId);
  useEditorStore.getState().reroll(nodeId);
  return runFromHere(nodeId);
}

export async function cancelRun(runId: string) {
  try {
    await api.cancelRun(runId);
    toast('info', 'Cancelling the run…');
  } catch (e) {
    toast('error', errorMessage(e), 'Could not cancel');
  }
}
