import { useEffect, useRef, useState } from 'react';
import { useReactFlow } from '@xyflow/react';
import { useEditorStore } from '../store/editor-store.ts';
import { useUiStore } from '../store/ui-store.ts';
import { exportPipeline, importPipeline, renamePipeline, runBlocker, savePipeline } from '../lib/pipeline-actions.ts';
import { autoLayout, fitSoon } from '../lib/auto-layout.ts';

/** Edits locally; Enter or leaving the field renames (saved at once for a saved pipeline). */
function NameInput({ name }: { name: string }) {
  const [text, setText] = useState(name);
  useEffect(() => setText(name), [name]);
  const commit = () => {
    if (!text.trim()) setText(name);
    else void renamePipeline(text);
  };
  return (
    <input
      value={text}
      onChange={(e) => setText(e.target.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
        if (e.key === 'Escape') setText(name);
      }}
      aria-label="Pipeline name"
      data-testid="pipeline-name"
    />
  );
}

export function TopBar() {
  const pipeline = useEditorStore((s) => s.pipeline);
  const dirty = useEditorStore((s) => s.isDirty());
  const canUndo = useEditorStore((s) => s.past.length > 0);
  const canRedo = useEditorStore((s) => s.future.length > 0);
  const problems = useEditorStore((s) => s.problems.length);
  const blocked = useEditorStore(runBlocker);
  const undo = useEditorStore((s) => s.undo);
  const redo = useEditorStore((s) => s.redo);
  const health = useUiStore((s) => s.health);
  const openDialog = useUiStore((s) => s.openDialog);
  const setRightTab = useUiStore((s) => s.setRightTab);
  const flow = useReactFlow();
  const importInput = useRef<HTMLInputElement>(null);
  const [layingOut, setLayingOut] = useState(false);

  return (
    <header className="pik-topbar">
      <h1 className="pik-brand">
        <span className="pik-logo" aria-hidden>
          ▚
        </span>{' '}
        Pikflow
      </h1>
      <button type="button" onClick={() => openDialog('pipelines')} data-testid="open-pipelines" title="Pipelines">
        ☰ Pipelines
      </button>
      <div className="pik-name">
        <NameInput name={pipeline.name} />
        {pipeline.version ? (
          <span className="pik-tag" data-testid="pipeline-version">
            v{pipeline.version}
            {pipeline.latestVersion && pipeline.latestVersion !== pipeline.version ? ` of ${pipeline.latestVersion}` : ''}
          </span>
        ) : (
          <span className="pik-tag pik-tag-muted">not saved yet</span>
        )}
        {dirty && (
          <span className="pik-dirty" data-testid="unsaved-indicator" title="Unsaved changes">
            ● unsaved
          </span>
        )}
      </div>
      <div className="pik-toolbar">
        <button type="button" onClick={undo} disabled={!canUndo} title="Undo (Ctrl+Z)" data-testid="undo">
          ↶
        </button>
        <button type="button" onClick={redo} disabled={!canRedo} title="Redo (Ctrl+Y)" data-testid="redo">
          ↷
        </button>
        <button
          type="button"
          onClick={() => {
            setLayingOut(true);
            void autoLayout()
              .then(() => fitSoon(flow))
              .finally(() => setLayingOut(false));
          }}
          disabled={layingOut}
          title="Tidy up the layout (Shift+L)"
          data-testid="auto-layout"
          data-busy={layingOut ? 'true' : 'false'}
        >
          ⇶ Layout
        </button>
        <span className="pik-sep" />
        <button type="button" onClick={() => void savePipeline()} title="Save as a new version (Ctrl+S)" data-testid="save">
          Save
        </button>
        <button type="button" onClick={() => openDialog('versions')} disabled={!pipeline.id} title="Version history" data-testid="open-versions">
          Versions
        </button>
        <button type="button" onClick={() => openDialog('all-runs')} title="Runs and outputs of every pipeline" data-testid="open-all-runs">
          All runs
        </button>
        <button type="button" onClick={exportPipeline} title="Download the pipeline as JSON" data-testid="export">
          Export
        </button>
        <button type="button" onClick={() => importInput.current?.click()} title="Open a pipeline JSON file" data-testid="import">
          Import
        </button>
        <input
          ref={importInput}
          type="file"
          accept="application/json,.json"
          hidden
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void importPipeline(f);
            e.target.value = '';
          }}
          data-testid="import-file"
        />
        <span className="pik-sep" />
        {problems > 0 && (
          <button
            type="button"
            className="pik-problems-button"
            onClick={() => {
              useEditorStore.getState().selectOnly(null);
              setRightTab('inspect');
            }}
            title="Show problems"
            data-testid="problem-count"
          >
            ⚠ {problems}
          </button>
        )}
        {blocked && (
          <span className="pik-run-blocked" id="run-blocked-reason" data-testid="run-blocked-reason">
            {blocked}
          </span>
        )}
        <button
          type="button"
          className="pik-primary"
          onClick={() => openDialog('run')}
          disabled={!!blocked}
          aria-describedby={blocked ? 'run-blocked-reason' : undefined}
          title={blocked ?? 'Run (Ctrl+Enter)'}
          data-testid="run"
        >
          ▶ Run
        </button>
      </div>
      {health?.mode === 'simulator' && (
        <span className="pik-sim-badge" data-testid="simulator-badge" title="Runs go to the bundled Freepik simulator">
          Simulator — no API key
        </span>
      )}
      {health === null && <span className="pik-sim-badge pik-offline">server?</span>}
    </header>
  );
}
