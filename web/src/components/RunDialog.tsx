import { useEffect, useMemo, useState } from 'react';
import { useEditorStore } from '../store/editor-store.ts';
import { useUiStore } from '../store/ui-store.ts';
import { DEFAULT_NAME, startRun } from '../lib/pipeline-actions.ts';
import { ImagePicker } from './ImagePicker.tsx';
import { portLimitsText } from '../lib/catalog-display.ts';
import { nodeTitle } from '../lib/connection-rules.ts';
import { Modal } from './Modal.tsx';
import type { CacheMode } from '@pikflow/pipeline';

interface ExposedInput {
  nodeId: string;
  name: string;
  kind: 'image' | 'text';
  fallback?: string;
  /** What the nodes it feeds document about their images: `Animate: at least 300×300 px · …`. */
  limits: string[];
}

/** The inputs the pipeline exposes: one per Image/Text input node, by its REST name. */
function useExposedInputs(): ExposedInput[] {
  const nodes = useEditorStore((s) => s.nodes);
  const catalogById = useEditorStore((s) => s.catalogById);
  const edges = useEditorStore((s) => s.edges);
  return useMemo(
    () =>
      nodes
        .filter((n) => catalogById.get(n.data.type)?.mode === 'input')
        .map((n) => {
          const def = catalogById.get(n.data.type)!;
          const kind = def.outputs[0]?.type === 'text' ? 'text' : 'image';
          const name = String(n.data.params.name ?? def.defaults.name ?? n.id);
          const fallback = n.data.params[kind === 'image' ? 'image' : 'text'];
          // The server refuses an image outside these before the run starts; say them where it is picked.
          const limits = edges.flatMap((e) => {
            if (e.source !== n.id) return [];
            const target = nodes.find((t) => t.id === e.target);
            const port = target && catalogById.get(target.data.type)?.inputs.find((p) => p.name === e.targetHandle);
            const text = port ? portLimitsText(port) : '';
            return text ? [`${nodeTitle(target, catalogById)}: ${text}`] : [];
          });
          return { nodeId: n.id, name, kind, fallback: typeof fallback === 'string' ? fallback : undefined, limits };
        }),
    [nodes, edges, catalogById],
  );
}

export function RunDialog() {
  const close = () => useUiStore.getState().openDialog(null);
  const inputs = useExposedInputs();
  const dirty = useEditorStore((s) => s.isDirty());
  const saved = useEditorStore((s) => !!s.pipeline.id);
  // A first run saves the pipeline: it gets a real name instead of leaving an "Untitled pipeline" behind.
  const needsName = useEditorStore((s) => !s.pipeline.id && s.pipeline.name.trim() === DEFAULT_NAME);
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string | undefined>>({});
  const [busy, setBusy] = useState(false);
  const [cache, setCache] = useState<CacheMode>('use');

  const missing = inputs.filter((i) => !values[i.name] && !i.fallback).map((i) => i.name);
  if (needsName && !name.trim()) missing.unshift('a pipeline name');
  const submit = async () => {
    if (busy) return;
    setBusy(true);
    const payload: Record<string, unknown> = {};
    for (const i of inputs) if (values[i.name]) payload[i.name] = values[i.name];
    const ok = await startRun(payload, { ...(needsName ? { name } : {}), ...(cache === 'use' ? {} : { cache: { cache } }) });
    setBusy(false);
    if (ok) close();
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
        e.preventDefault();
        void submit();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <Modal
      title="Run pipeline"
      onClose={close}
      testId="run-dialog"
      footer={
        <>
          {missing.length > 0 && (
            <span className="pik-muted" data-testid="run-missing">Needs: {missing.join(', ')}</span>
          )}
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button
            type="button"
            className="pik-primary"
            onClick={() => void submit()}
            disabled={busy || missing.length > 0}
            data-testid="run-submit"
          >
            {busy ? 'Starting…' : 'Run ▶'}
          </button>
        </>
      }
    >
      <div className="pik-modal-body">
        {(dirty || !saved) && (
          <p className="pik-note">Unsaved changes are saved as a new version before the run starts.</p>
        )}
        {needsName && (
          <div className="pik-field">
            <label className="pik-field-label" htmlFor="run-pipeline-name">
              Pipeline name
            </label>
            <input
              id="run-pipeline-name"
              type="text"
              value={name}
              placeholder="e.g. Restore my photo"
              onChange={(e) => setName(e.target.value)}
              data-testid="run-pipeline-name"
            />
            <p className="pik-muted">The pipeline is saved under this name before its first run.</p>
          </div>
        )}
        {inputs.length === 0 && <p className="pik-muted">This pipeline takes no inputs.</p>}
        {inputs.map((i) => (
          <div className="pik-field" key={i.nodeId}>
            <div className="pik-field-head">
              <label className="pik-field-label" htmlFor={`run-input-${i.nodeId}`}>
                {i.name}
              </label>
              <span className="pik-field-key">{i.kind}</span>
              {i.fallback && <span className="pik-field-default">has a default</span>}
            </div>
            {i.kind === 'image' ? (
              <>
                <ImagePicker
                  value={values[i.name] ?? i.fallback}
                  onChange={(v) => setValues((s) => ({ ...s, [i.name]: v }))}
                  testId={`run-input-${i.name}`}
                  label={i.name}
                />
                {i.limits.length > 0 && (
                  <p className="pik-muted" data-testid={`run-input-${i.name}-limits`}>
                    {i.limits.join('; ')}
                  </p>
                )}
              </>
            ) : (
              <textarea
                id={`run-input-${i.nodeId}`}
                rows={4}
                value={values[i.name] ?? ''}
                placeholder={i.fallback ?? ''}
                onChange={(e) => setValues((s) => ({ ...s, [i.name]: e.target.value || undefined }))}
                data-testid={`run-input-${i.name}-input`}
              />
            )}
          </div>
        ))}
        <div className="pik-field">
          <div className="pik-field-head">
            <label className="pik-field-label" htmlFor="run-cache">
              Result cache
            </label>
          </div>
          <select id="run-cache" value={cache} onChange={(e) => setCache(e.target.value as CacheMode)} data-testid="run-cache">
            <option value="use">Reuse unchanged nodes (no new requests for them)</option>
            <option value="refresh">Run every node again and update the cache</option>
            <option value="off">Run every node, leave the cache alone</option>
          </select>
        </div>
      </div>
    </Modal>
  );
}
