import { useEffect, useState } from 'react';
import type { PipelineSummary, TemplateView } from '@pikflow/pipeline';
import { api, errorMessage } from '../lib/api-client.ts';
import { useEditorStore } from '../store/editor-store.ts';
import { useUiStore } from '../store/ui-store.ts';
import { createFromTemplate, deletePipeline, newBlankPipeline, openPipeline } from '../lib/pipeline-actions.ts';
import { formatTime } from '../lib/run-values.ts';
import { Modal } from './Modal.tsx';

function confirmLeave(): boolean {
  return !useEditorStore.getState().isDirty() || window.confirm('Discard the unsaved changes of the open pipeline?');
}

export function PipelinesDialog() {
  const close = () => useUiStore.getState().openDialog(null);
  const currentId = useEditorStore((s) => s.pipeline.id);
  const [pipelines, setPipelines] = useState<PipelineSummary[] | null>(null);
  const [templates, setTemplates] = useState<TemplateView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => {
    api.listPipelines().then(setPipelines, (e) => setError(errorMessage(e)));
    api.templates().then(setTemplates, () => setTemplates([]));
  }, [reload]);

  return (
    <Modal title="Pipelines" onClose={close} wide testId="pipelines-dialog">
      <div className="pik-modal-body pik-two-cols">
        <section>
          <h4>Start new</h4>
          <button
            type="button"
            className="pik-card"
            onClick={() => confirmLeave() && newBlankPipeline()}
            data-testid="new-blank"
          >
            <b>Blank pipeline</b>
            <span className="pik-muted">An empty canvas</span>
          </button>
          {templates.map((t) => (
            <button
              type="button"
              key={t.id}
              className="pik-card"
              onClick={() => confirmLeave() && void createFromTemplate(t.id)}
              data-testid={`template-${t.id}`}
            >
              <b>{t.name}</b>
              <span className="pik-muted">{t.description}</span>
              <span className="pik-muted">{t.document.nodes.length} nodes</span>
            </button>
          ))}
        </section>
        <section>
          <h4>Saved pipelines</h4>
          {error && <p className="pik-field-error">{error}</p>}
          {pipelines === null && !error && <p className="pik-muted">Loading…</p>}
          {pipelines?.length === 0 && <p className="pik-muted">Nothing saved yet.</p>}
          <ul className="pik-pipeline-list" data-testid="pipeline-list">
            {pipelines?.map((p) => (
              <li key={p.id} className={p.id === currentId ? 'current' : ''}>
                <button
                  type="button"
                  className="pik-pipeline-open"
                  onClick={() => confirmLeave() && void openPipeline(p.id)}
                  data-testid={`pipeline-item-${p.id}`}
                >
                  <b>{p.name}</b>
                  <span className="pik-muted">
                    v{p.latestVersion} · {formatTime(p.updatedAt)}
                  </span>
                </button>
                <button
                  type="button"
                  className="pik-small"
                  title="Delete this pipeline"
                  onClick={async () => {
                    if (!window.confirm(`Delete “${p.name}” and its versions?`)) return;
                    await deletePipeline(p.id);
                    setReload((r) => r + 1);
                  }}
                  data-testid={`pipeline-delete-${p.id}`}
                >
                  Delete
                </button>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </Modal>
  );
}
