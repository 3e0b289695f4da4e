/**
 * Keyboard shortcuts of the canvas. Save and run work everywhere; the rest stay
 * out of the way while the user types in a field.
 */
import { useEffect, useRef } from 'react';
import { useReactFlow, type XYPosition } from '@xyflow/react';
import { useEditorStore } from '../store/editor-store.ts';
import { toast, useUiStore } from '../store/ui-store.ts';
import { runBlocker, savePipeline } from './pipeline-actions.ts';
import { autoLayout, fitSoon } from './auto-layout.ts';
import { addImageInput, nodesFromJson, selectionAsJson } from './canvas-files.ts';
import { addGroup, addNote, removeSelectedAnnotations } from './annotations.ts';
import { toggleBypass } from './bypass.ts';

function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export function useShortcuts(opts: { mouseFlowPosition(): XYPosition; openSearch(): void }) {
  const flow = useReactFlow();
  const latest = useRef(opts);
  latest.current = opts;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      const store = useEditorStore.getState();
      const ui = useUiStore.getState();
      if (mod && key === 's') {
        e.preventDefault();
        void savePipeline();
        return;
      }
      if (mod && key === 'enter') {
        if (ui.dialog === 'run') return; // the dialog submits itself
        e.preventDefault();
        const blocked = runBlocker(store);
        if (blocked) toast('warning', blocked, 'Run not started');
        else ui.openDialog('run');
        return;
      }
      if (ui.dialog || ui.lightbox || typingIn(e.target)) return;
      if (mod && key === 'z' && !e.shiftKey) {
        e.preventDefault();
        store.undo();
      } else if (mod && (key === 'y' || (key === 'z' && e.shiftKey))) {
        e.preventDefault();
        store.redo();
      } else if (mod && key === 'c') {
        const n = store.copySelection();
        if (n) toast('info', `Copied ${n} node${n === 1 ? '' : 's'}`);
      } else if (mod && key === 'v') {
        // Not handled here: the paste event below brings the system clipboard's content.
      } else if (mod && key === 'd') {
        e.preventDefault();
        if (store.copySelection()) store.paste();
      } else if (mod && key === 'a') {
        e.preventDefault();
        store.selectAll();
      } else if (mod && key === 'b') {
        // ComfyUI's bypass: the selected nodes pass their inputs through instead of running.
        e.preventDefault();
        const on = toggleBypass(store.nodes.filter((n) => n.selected).map((n) => n.id));
        if (on !== null) toast('info', on ? 'Bypassed: the selection passes its inputs through' : 'Bypass off');
      } else if (mod && key === 'g') {
        e.preventDefault();
        addGroup(latest.current.mouseFlowPosition());
      } else if (e.shiftKey && key === 'n' && !mod) {
        addNote(latest.current.mouseFlowPosition());
      } else if (key === 'delete' || key === 'backspace') {
        e.preventDefault();
        removeSelectedAnnotations();
        store.deleteSelected();
      } else if (key === 'tab' && !mod && !e.shiftKey && (e.target as Element | null)?.classList?.contains('pik-canvas')) {
        // Only on the canvas itself: everywhere else Tab moves focus as usual.
        e.preventDefault();
        latest.current.openSearch();
      } else if ((key === '.' || (e.shiftKey && key === '!') || (e.shiftKey && e.code === 'Digit1')) && !mod) {
        void flow.fitView({ padding: 0.2, duration: 250, maxZoom: 1.2 });
      } else if (e.shiftKey && key === 'l' && !mod) {
        void autoLayout().then(() => fitSoon(flow));
      } else if (key === 'escape') {
        store.selectOnly(null);
      }
    };
    // Copy and paste go through the system clipboard as pipeline JSON, so nodes move between
    // tabs and windows; the editor's own clipboard stays the fallback for other content.
    const blocked = (e: Event) => !!useUiStore.getState().dialog || typingIn(e.target);
    const onCopy = (e: ClipboardEvent) => {
      if (blocked(e)) return;
      const json = selectionAsJson();
      if (!json || !e.clipboardData) return;
      e.clipboardData.setData('text/plain', json);
      e.preventDefault();
    };
    const onPaste = (e: ClipboardEvent) => {
      if (blocked(e)) return;
      const at = latest.current.mouseFlowPosition();
      const image = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      const fromJson = nodesFromJson(e.clipboardData?.getData('text/plain') ?? '');
      e.preventDefault();
      if (fromJson) {
        const n = useEditorStore.getState().paste(at, fromJson);
        toast('info', `Pasted ${n} node${n === 1 ? '' : 's'}`);
      } else if (image) void addImageInput(image, at);
      else useEditorStore.getState().paste(at);
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('copy', onCopy);
    window.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('copy', onCopy);
      window.removeEventListener('paste', onPaste);
    };
  }, [flow]);
}
