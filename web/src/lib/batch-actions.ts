/**
 * Batches from the editor: start one from many images (each uploaded, then one item per image),
 * follow its progress (the batch's SSE stream, with a poll as the safety net) and fill the
 * batch view's grid as items finish; pause, resume, cancel and retry the failed items.
 */
import type { BatchView, CacheMode, RunView } from '@pikflow/pipeline';
import { api, apiToken, batchZipUrl, errorMessage, type BatchAction, type BatchItemView } from './api-client.ts';
import { imagesIn } from './run-values.ts';
import { openRun, saveForRun } from './pipeline-actions.ts';
import { useBatchStore, type BatchItemRow } from '../store/batch-store.ts';
import { useEditorStore } from '../store/editor-store.ts';
import { toast, useUiStore } from '../store/ui-store.ts';

/** An image chosen for a batch, named by its path in the chosen folder (or its file name). */
export interface BatchFile {
  file: File;
  label: string;
}

/** Images already uploaded from this page: starting again after a refusal does not send them twice. */
const uploadedAssets = new WeakMap<File, string>();

const ENDED_ITEM = new Set(['succeeded', 'failed', 'cancelled', 'invalid']);
const UPLOADS_AT_ONCE = 4;
const RESULTS_AT_ONCE = 4;

export const batchEnded = (view: BatchView | null | undefined) => !!view && (view.status === 'completed' || view.status === 'cancelled');

/** Items that ended, whichever way: what the progress bar counts. */
export function finishedItems(view: BatchView): number {
  const c = view.counts;
  return c.succeeded + c.failed + c.cancelled + c.invalid;
}

/** The picture a batch item shows: the run's last image output, which in a chain of steps is the final result. */
export function primaryImage(run: Pick<RunView, 'outputs'>) {
  const images = imagesIn(run.outputs);
  return images[images.length - 1] ?? null;
}

// ---- following ----------------------------------------------------------------

let source: EventSource | undefined;
let poller: ReturnType<typeof setInterval> | undefined;
let following: string | null = null;

export function stopFollowingBatch() {
  source?.close();
  source = undefined;
  clearInterval(poller);
  poller = undefined;
  following = null;
}

const countsKey = (view: BatchView | null) => (view ? `${view.status}:${JSON.stringify(view.counts)}` : '');

function applyView(batchId: string, view: BatchView) {
  const store = useBatchStore.getState();
  if (store.batchId !== batchId) return;
  const before = store.view;
  store.setView(view);
  if (countsKey(before) !== countsKey(view)) void loadItems(batchId);
  if (batchEnded(view) && following === batchId) {
    stopFollowingBatch();
    if (before && !batchEnded(before)) announce(view);
  }
}

function announce(view: BatchView) {
  const c = view.counts;
  const failed = c.failed + c.invalid;
  if (view.status === 'cancelled') toast('info', `Batch cancelled: ${c.succeeded} of ${view.total} succeeded`);
  else if (failed) toast('warning', `${c.succeeded} of ${view.total} succeeded, ${failed} failed`, 'Batch finished');
  else toast('success', `All ${view.total} items succeeded`, 'Batch finished');
}

async function refreshView(batchId: string): Promise<BatchView | null> {
  try {
    const view = await api.getBatch(batchId);
    applyView(batchId, view);
    return view;
  } catch (e) {
    if (useBatchStore.getState().batchId === batchId) useBatchStore.getState().setError(errorMessage(e));
    return null;
  }
}

function follow(batchId: string) {
  if (following === batchId) return;
  stopFollowingBatch();
  following = batchId;
  // EventSource cannot send a bearer token: with one, the batch is polled instead.
  if (!apiToken()) {
    source = new EventSource(`/api/batches/${encodeURIComponent(batchId)}/events`);
    const onMessage = (msg: MessageEvent<string>) => {
      try {
        const event = JSON.parse(msg.data) as { batch?: BatchView };
        if (event.batch) applyView(batchId, event.batch);
      } catch {
        // a malformed event: the poll brings the view
      }
    };
    source.addEventListener('batch.progress', onMessage as EventListener);
    source.addEventListener('batch.finished', onMessage as EventListener);
  }
  // A safety net: if the stream drops, the view still arrives.
  poller = setInterval(() => void refreshView(batchId), apiToken() ? 1000 : 3000);
}

// ---- the grid's items ---------------------------------------------------------------

let loading: Promise<void> | null = null;
let loadAgain = false;

/** Brings the items on screen up to date: from the first one that has not ended (ended ones stay as they are). */
function loadItems(batchId: string): Promise<void> {
  if (loading) {
    loadAgain = true;
    return loading;
  }
  loading = (async () => {
    do {
      loadAgain = false;
      await loadItemsOnce(batchId);
    } while (loadAgain && useBatchStore.getState().batchId === batchId);
  })().finally(() => (loading = null));
  return loading;
}

async function loadItemsOnce(batchId: string) {
  const { items, shown } = useBatchStore.getState();
  let start = items.findIndex((i) => !ENDED_ITEM.has(i.status));
  if (start === -1) start = items.length;
  if (start < shown) {
    const fresh: BatchItemView[] = [];
    let after = start === 0 ? -1 : items[start - 1]!.idx;
    try {
      for (;;) {
        const page = await api.batchItems(batchId, after, Math.min(500, shown - start - fresh.length));
        fresh.push(...page.items);
        if (page.nextAfter === undefined || start + fresh.length >= shown) break;
        after = page.nextAfter;
      }
    } catch (e) {
      if (useBatchStore.getState().batchId === batchId) useBatchStore.getState().setError(errorMessage(e));
      return;
    }
    const store = useBatchStore.getState();
    if (store.batchId !== batchId) return;
    const known = new Map(store.items.map((r) => [r.idx, r]));
    const rows: BatchItemRow[] = fresh.map((item) => {
      const old = known.get(item.idx);
      return old?.resultRunId && old.resultRunId === item.runId ? { ...item, result: old.result, resultRunId: old.resultRunId } : item;
    });
    store.setItems([...store.items.slice(0, start), ...rows]);
    store.setError(null);
  }
  await loadResults(batchId);
}

/** Reads the run of every succeeded item on screen that has no picture yet, a few at a time. */
async function loadResults(batchId: string) {
  const wanted = useBatchStore.getState().items.filter((r) => r.status === 'succeeded' && r.runId && r.resultRunId !== r.runId);
  let next = 0;
  const worker = async () => {
    while (next < wanted.length) {
      const row = wanted[next++]!;
      let result: BatchItemRow['result'] = null;
      try {
        result = primaryImage(await api.getRun(row.runId!));
      } catch {
        // The run could not be read now: the next update tries again.
        continue;
      }
      const store = useBatchStore.getState();
      if (store.batchId !== batchId) return;
      store.setItems(store.items.map((r) => (r.idx === row.idx && r.runId === row.runId ? { ...r, result, resultRunId: row.runId } : r)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(RESULTS_AT_ONCE, wanted.length) }, worker));
}

// ---- actions ------------------------------------------------------------------

/** Opens the batch view on a batch and follows it while it runs. */
export async function openBatch(batchId: string, pipelineName?: string) {
  const store = useBatchStore.getState();
  const name = pipelineName ?? store.recent.find((b) => b.id === batchId)?.pipelineName ?? '';
  if (store.batchId !== batchId) {
    stopFollowingBatch();
    store.show(batchId, name);
  }
  useUiStore.getState().openDialog('batch');
  const view = await refreshView(batchId);
  if (!view) return;
  await loadItems(batchId);
  if (!batchEnded(view)) follow(batchId);
}

/** The batch view closes; the batch goes on, and the Runs panel can open it again. */
export function closeBatchView() {
  stopFollowingBatch();
  useUiStore.getState().openDialog(null);
}

/** One item's run on the canvas, node by node (what failed and why): the batch view makes way for it. */
export async function openItemRun(runId: string) {
  try {
    const run = await api.getRun(runId);
    closeBatchView();
    useUiStore.getState().setRightTab('runs');
    await openRun(run);
  } catch (e) {
    toast('error', errorMessage(e), 'Could not open the run');
  }
}

/**
 * With a bearer token the ZIP link would be refused (a link cannot send the token): the ZIP is
 * fetched with it and saved from memory instead. Without one the link streams it to disk.
 * Returns whether it took over the click.
 */
export function downloadZipWithToken(batchId: string, name: string): boolean {
  if (!apiToken()) return false;
  toast('info', 'Preparing the ZIP…');
  api
    .download(batchZipUrl(batchId))
    .then((blob) => {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    })
    .catch((e) => toast('error', errorMessage(e), 'The ZIP could not be downloaded'));
  return true;
}

export function showMoreItems() {
  const { batchId, showMore } = useBatchStore.getState();
  showMore();
  if (batchId) void loadItems(batchId);
}

const ACTION_WORDS: Record<BatchAction, string> = {
  pause: 'Batch paused: items in flight finish, no new ones start',
  resume: 'Batch resumed',
  cancel: 'Batch cancelled',
  'retry-failed': 'Retrying the failed items',
};

export async function controlBatch(action: BatchAction) {
  const batchId = useBatchStore.getState().batchId;
  if (!batchId) return;
  try {
    const view = await api.controlBatch(batchId, action);
    if (action === 'retry-failed') {
      // Those items start again as new runs: their old failures are no longer what they show.
      const store = useBatchStore.getState();
      store.setItems(store.items.map((r) => (r.status === 'failed' || r.status === 'cancelled' ? { ...r, status: 'pending', error: undefined } : r)));
    }
    applyView(batchId, view);
    void loadItems(batchId);
    if (!batchEnded(view)) follow(batchId);
    toast('info', ACTION_WORDS[action]);
  } catch (e) {
    toast('error', errorMessage(e), 'The batch was not changed');
  }
}

/**
 * Starts a batch: saves the pipeline when needed, uploads every image (a few at once, reporting
 * how many are up), then starts one item per image with the other inputs as given. Resolves with
 * the server's refusal (a budget, a bad file) for the Run dialog to show, or null once started.
 */
export async function startBatch(request: {
  files: BatchFile[];
  input: string;
  inputs: Record<string, unknown>;
  name?: string;
  cache: CacheMode;
  onUploaded(count: number): void;
}): Promise<string | null> {
  const pipelineId = await saveForRun(request.name, 'Batch not started');
  if (!pipelineId) return 'The pipeline must be saved (and valid) before a batch can start.';
  const assets: string[] = new Array<string>(request.files.length);
  let next = 0;
  let uploaded = 0;
  const worker = async () => {
    while (next < request.files.length) {
      const i = next++;
      const { file, label } = request.files[i]!;
      try {
        assets[i] = uploadedAssets.get(file) ?? (await api.uploadAsset(file, file.name)).assetId;
        uploadedAssets.set(file, assets[i]!);
      } catch (e) {
        next = request.files.length; // the other uploads stop at their next file
        throw new Error(`${label}: ${errorMessage(e)}`);
      }
      request.onUploaded(++uploaded);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(UPLOADS_AT_ONCE, request.files.length) }, worker));
  } catch (e) {
    return `Upload failed — ${errorMessage(e)}`;
  }
  try {
    const items = request.files.map((f, i) => ({ inputs: { ...request.inputs, [request.input]: assets[i] }, label: f.label }));
    const { batchId } = await api.startBatch(pipelineId, items, request.cache);
    const pipelineName = useEditorStore.getState().pipeline.name;
    useBatchStore.getState().remember({ id: batchId, pipelineId, pipelineName, total: items.length, createdAt: new Date().toISOString() });
    toast('success', `A batch of ${items.length} runs started`);
    await openBatch(batchId, pipelineName);
    return null;
  } catch (e) {
    return errorMessage(e);
  }
}
