/** Transient UI state that is not part of the pipeline: toasts, dialogs, server health. */
import { create } from 'zustand';
import type { HealthView } from '@pikflow/pipeline';

export type ToastKind = 'error' | 'info' | 'success' | 'warning';

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  title?: string;
}

/** What the full-size view shows: a file, how to name its download, and what it was made from. */
export interface LightboxItem {
  url: string;
  name: string;
  kind?: 'image' | 'video';
  download?: string;
  before?: { url: string; name: string };
}

export type Dialog = 'pipelines' | 'versions' | 'run' | 'token' | 'all-runs' | 'batch' | null;

interface UiState {
  toasts: Toast[];
  dialog: Dialog;
  health: HealthView | null;
  rightTab: 'inspect' | 'runs';
  lightbox: LightboxItem | null;
  toast(kind: ToastKind, message: string, title?: string): void;
  dismiss(id: number): void;
  openDialog(dialog: Dialog): void;
  setHealth(health: HealthView | null): void;
  setRightTab(tab: 'inspect' | 'runs'): void;
  openLightbox(lightbox: LightboxItem | null): void;
}

let nextId = 1;

export const useUiStore = create<UiState>()((set, get) => ({
  toasts: [],
  dialog: null,
  health: null,
  rightTab: 'inspect',
  lightbox: null,
  toast: (kind, message, title) => {
    const id = nextId++;
    // The same sentence twice in a row is one toast, not a stack of them.
    const toasts = get().toasts.filter((t) => t.message !== message);
    set({ toasts: [...toasts.slice(-4), { id, kind, message, title }] });
    setTimeout(() => get().dismiss(id), kind === 'error' ? 8000 : 4000);
  },
  dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
  openDialog: (dialog) => set({ dialog }),
  setHealth: (health) => set({ health }),
  setRightTab: (rightTab) => set({ rightTab }),
  openLightbox: (lightbox) => set({ lightbox }),
}));

export const toast = (kind: ToastKind, message: string, title?: string) => useUiStore.getState().toast(kind, message, title);
