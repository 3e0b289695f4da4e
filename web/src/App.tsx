import { useEffect } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { AllRunsDialog } from './components/AllRunsDialog.tsx';
import { BatchView } from './components/BatchView.tsx';
import { Canvas } from './components/Canvas.tsx';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { Inspector } from './components/Inspector.tsx';
import { Lightbox } from './components/Lightbox.tsx';
import { Palette } from './components/Palette.tsx';
import { PipelinesDialog } from './components/PipelinesDialog.tsx';
import { RunDialog } from './components/RunDialog.tsx';
import { RunsPanel } from './components/RunsPanel.tsx';
import { Toasts } from './components/Toasts.tsx';
import { TokenDialog } from './components/TokenDialog.tsx';
import { TopBar } from './components/TopBar.tsx';
import { VersionsDialog } from './components/VersionsDialog.tsx';
import { useEditorStore } from './store/editor-store.ts';
import { useUiStore } from './store/ui-store.ts';
import { useEstimateStore } from './store/estimate-store.ts';
import { bootstrap, openPipeline, pipelineIdFromHash, validateSoon } from './lib/pipeline-actions.ts';

/** What validation depends on: everything but positions and selection. */
function structure(s: ReturnType<typeof useEditorStore.getState>): string {
  return JSON.stringify([s.nodes.map((n) => [n.id, n.data]), s.edges.map((e) => [e.source, e.sourceHandle, e.target, e.targetHandle])]);
}

function useBackgroundWork() {
  useEffect(() => {
    void bootstrap();
    let last = structure(useEditorStore.getState());
    const unsubscribe = useEditorStore.subscribe((s, prev) => {
      if (s.nodes === prev.nodes && s.edges === prev.edges) return;
      const now = structure(s);
      if (now !== last) {
        last = now;
        validateSoon();
      }
    });
    // The per-node cost badges follow the open version, and are read again after each run.
    let estimated = '';
    const unsubscribeEstimate = useEditorStore.subscribe((s) => {
      const key = `${s.pipeline.id ?? ''}@${s.pipeline.version ?? ''}@${s.run?.status === 'running' || s.run?.status === 'queued' ? 'busy' : s.run?.runId ?? ''}`;
      if (key === estimated) return;
      estimated = key;
      void useEstimateStore.getState().refresh(s.pipeline.id, s.pipeline.version);
    });
    const onHash = () => {
      const id = pipelineIdFromHash();
      if (id && id !== useEditorStore.getState().pipeline.id) void openPipeline(id);
    };
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (useEditorStore.getState().isDirty()) e.preventDefault();
    };
    window.addEventListener('hashchange', onHash);
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      unsubscribe();
      unsubscribeEstimate();
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, []);
}

function RightPanel() {
  const tab = useUiStore((s) => s.rightTab);
  const setTab = useUiStore((s) => s.setRightTab);
  const run = useEditorStore((s) => s.run);
  return (
    <aside className="pik-right" aria-label="Inspector and runs">
      <nav className="pik-tabs" aria-label="Side panel">
        <button type="button" className={tab === 'inspect' ? 'active' : ''} aria-pressed={tab === 'inspect'} onClick={() => setTab('inspect')} data-testid="tab-inspect">
          Inspector
        </button>
        <button type="button" className={tab === 'runs' ? 'active' : ''} aria-pressed={tab === 'runs'} onClick={() => setTab('runs')} data-testid="tab-runs">
          Runs
          {run?.live && <span className="pik-spinner" aria-hidden />}
        </button>
      </nav>
      <ErrorBoundary area="side panel">{tab === 'inspect' ? <Inspector /> : <RunsPanel />}</ErrorBoundary>
    </aside>
  );
}

export function App() {
  useBackgroundWork();
  const dialog = useUiStore((s) => s.dialog);
  return (
    <ReactFlowProvider>
      <div className="pik-app">
        <TopBar />
        <div className="pik-main">
          <ErrorBoundary area="palette">
            <Palette />
          </ErrorBoundary>
          <main className="pik-canvas-area" aria-label="Pipeline canvas">
            <ErrorBoundary area="canvas">
              <Canvas />
            </ErrorBoundary>
          </main>
          <RightPanel />
        </div>
        <ErrorBoundary area="dialog">
          {dialog === 'pipelines' && <PipelinesDialog />}
          {dialog === 'versions' && <VersionsDialog />}
          {dialog === 'run' && <RunDialog />}
          {dialog === 'token' && <TokenDialog />}
          {dialog === 'all-runs' && <AllRunsDialog />}
          {dialog === 'batch' && <BatchView />}
        </ErrorBoundary>
        <Lightbox />
        <Toasts />
      </div>
    </ReactFlowProvider>
  );
}
