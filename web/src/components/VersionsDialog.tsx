import { useEffect, useState } from 'react';
import { api, errorMessage } from '../lib/api-client.ts';
import { useEditorStore } from '../store/editor-store.ts';
import { useUiStore } from '../store/ui-store.ts';
import { openPipeline, restoreVersion } from '../lib/pipeline-actions.ts';
import { formatTime } from '../lib/run-values.ts';
import { Modal } from './Modal.tsx';

export function VersionsDialog() {
  const close = () => useUiStore.getState().openDialog(null);
  const pipeline = useEditorStore((s) => s.pipeline);
  const [versions, setVersions] = useState<{ version: number; createdAt: string }[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!pipeline.id) return;
    api.getPipeline(pipeline.id).then(
      (v) => setVersions(v.versions ?? [{ version: v.latestVersion, createdAt: v.updatedAt }]),
      (e) => setError(errorMessage(e)),
    );
  }, [pipeline.id]);

  return (
    <Modal title={`Versions of “${pipeline.name}”`} onClose={close} testId="versions-dialog">
      <div className="pik-modal-body">
        {!pipeline.id && <p className="pik-muted">Save the pipeline first: every save is a new version.</p>}
        {error && <p className="pik-field-error">{error}</p>}
        <ul className="pik-version-list">
          {versions?.map((v) => (
            <li key={v.version} data-testid={`version-${v.version}`}>
              <b>v{v.version}</b>
              <span className="pik-muted">{formatTime(v.createdAt)}</span>
              {v.version === pipeline.latestVersion && <span className="pik-tag">latest</span>}
              {v.version === pipeline.version && <span className="pik-tag">open</span>}
              <span className="pik-spacer" />
              <button type="button" className="pik-small" onClick={() => void openPipeline(pipeline.id!, v.version)}>
                View
              </button>
              {v.version !== pipeline.latestVersion && (
                <button
                  type="button"
                  className="pik-small"
                  onClick={async () => {
                    await restoreVersion(v.version);
                    close();
                  }}
                  data-testid={`restore-${v.version}`}
                >
                  Restore
                </button>
              )}
            </li>
          ))}
        </ul>
      </div>
    </Modal>
  );
}
