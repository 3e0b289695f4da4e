/**
 * What one run of the open pipeline's saved version costs, per node (the server's estimate): the
 * badges on Freepik nodes, like ComfyUI's price badges. Refreshed when another version is open
 * and after a run ends (the result cache may now hold a node's result).
 */
import { create } from 'zustand';
import type { EstimateView } from '@pikflow/pipeline';
import { api } from '../lib/api-client.ts';

export type NodeEstimate = EstimateView['nodes'][number];

interface EstimateState {
  /** Which pipeline and version the figures are for. */
  of?: string;
  currency?: string;
  byNode: Record<string, NodeEstimate>;
  refresh(pipelineId: string | undefined, version: number | undefined): Promise<void>;
}

export const useEstimateStore = create<EstimateState>()((set) => ({
  byNode: {},
  async refresh(pipelineId, version) {
    if (!pipelineId) return set({ of: undefined, byNode: {}, currency: undefined });
    const of = `${pipelineId}@${version ?? 'latest'}`;
    try {
      const estimate = await api.estimate(pipelineId, 1, version);
      set({ of, currency: estimate.cost?.currency, byNode: Object.fromEntries((estimate.nodes ?? []).map((n) => [n.nodeId, n])) });
    } catch {
      // No estimate (a token prompt, the server away): no badges rather than wrong ones.
      set({ of, byNode: {} });
    }
  },
}));

/** "1 request · €0.04": what the badge says (no price table: requests only). */
export function estimateBadgeText(n: NodeEstimate, currency: string | undefined): string {
  const requests = `${n.submissions} ${n.submissions === 1 ? 'request' : 'requests'}`;
  if (n.cost === undefined || !currency) return requests;
  const money = new Intl.NumberFormat(undefined, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 4 }).format(n.cost);
  return `${requests} · ${money}`;
}
