/** The batch the batch view shows: its progress, the items on screen, and the batches started in this browser. */
import { create } from 'zustand';
import type { BatchView } from '@pikflow/pipeline';
import type { BatchItemView } from '../lib/api-client.ts';
import type { ImageItem } from '../lib/run-values.ts';

export interface BatchItemRow extends BatchItemView {
  /** The item's result picture once its run succeeded (null: the run made no image). */
  result?: ImageItem | null;
  /** The run the result was read from: a retried item gets a new run and a new result. */
  resultRunId?: string;
}

/** A batch this browser started, so the Runs panel can open it again. */
export interface RecentBatch {
  id: string;
  pipelineId?: string;
  pipelineName: string;
  total: number;
  createdAt: string;
}

const RECENT_KEY = 'pikflow.recentBatches';
const RECENT_MAX = 20;

function readRecent(): RecentBatch[] {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]') as unknown;
    return Array.isArray(list) ? (list as RecentBatch[]).filter((b) => typeof b?.id === 'string') : [];
  } catch {
    return [];
  }
}

interface BatchState {
  batchId: string | null;
  pipelineName: string;
  view: BatchView | null;
  /** The first `shown` items, in order (a 10,000-item batch is not all on screen). */
  items: BatchItemRow[];
  shown: number;
  error: string | null;
  recent: RecentBatch[];
  show(batchId: string, pipelineName: string): void;
  setView(view: BatchView): void;
  setItems(items: BatchItemRow[]): void;
  setError(error: string | null): void;
  showMore(): void;
  remember(batch: RecentBatch): void;
}

export const GRID_PAGE = 120;

export const useBatchStore = create<BatchState>()((set) => ({
  batchId: null,
  pipelineName: '',
  view: null,
  items: [],
  shown: GRID_PAGE,
  error: null,
  recent: readRecent(),
  show: (batchId, pipelineName) => set({ batchId, pipelineName, view: null, items: [], shown: GRID_PAGE, error: null }),
  setView: (view) => set({ view }),
  setItems: (items) => set({ items }),
  setError: (error) => set({ error }),
  showMore: () => set((s) => ({ shown: s.shown + GRID_PAGE })),
  remember: (batch) =>
    set((s) => {
      const recent = [batch, ...s.recent.filter((b) => b.id !== batch.id)].slice(0, RECENT_MAX);
      try {
        localStorage.setItem(RECENT_KEY, JSON.stringify(recent));
      } catch {
        // Storage full or disabled: the list lasts for this page only.
      }
      return { recent };
    }),
}));
