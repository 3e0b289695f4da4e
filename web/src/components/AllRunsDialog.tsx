import { useEffect, useMemo, useState } from 'react';
import type { PipelineSummary, RunStatus, RunView } from '@pikflow/pipeline';
import { api, errorMessage } from '../lib/api-client.ts';
import { openRun } from '../lib/pipeline-actions.ts';
import { downloadName, formatDuration, formatTime, mediaIn, type ImageItem } from '../lib/run-values.ts';
import { useUiStore } from '../store/ui-store.ts';
import { Media } from './Media.tsx';
import { Modal } from './Modal.tsx';

const STATUSES: RunStatus[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];

interface Output extends ImageItem {
  run: RunView;
  pipeline: string;
}

/**
 * The queue and the outputs of every pipeline in one place: recent runs with their
 * status, pipeline, version, duration and outputs, filterable and paged; or a grid of
 * every output with the run it came from.
 */
export function AllRunsDialog() {
  const close = () => useUiStore.getState().openDialog(null);
  const openLightbox = useUiStore((s) => s.openLightbox);
  const [status, setStatus] = useState('');
  const [pipelineId, setPipelineId] = useState('');
  const [view, setView] = useState<'runs' | 'outputs'>('runs');
  const [runs, setRuns] = useState<RunView[]>([]);
  const [cursor, setCursor] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [pipelines, setPipelines] = useState<PipelineSummary[]>([]);

  useEffect(() => {
    api.listPipelines().then(setPipelines, () => setPipelines([]));
  }, []);

  const load = async (from?: string) => {
    setBusy(true);
    try {
      const page = await api.listAllRuns({ status, pipelineId, cursor: from, limit: 20 });
      setRuns((before) => (from ? [...before, ...page.runs] : page.runs));
      setCursor(page.nextCursor);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    void load();
  }, [status, pipelineId]);

  const names = useMemo(() => new Map(pipelines.map((p) => [p.id, p.name])), [pipelines]);
  const nameOf = (r: RunView) => (r.pipelineId && names.get(r.pipelineId)) || 'a deleted pipeline';
  const outputs: Output[] = runs.flatMap((r) => mediaIn(r.outputs).map((m) => ({ ...m, run: r, pipeline: nameOf(r) })));

  return (
    <Modal title="All runs" onClose={close} wide testId="all-runs-dialog">
      <div className="pik-modal-body">
        <div className="pik-filter-row">
          <label>
            Status{' '}
            <select value={status} onChange={(e) => setStatus(e.target.value)} data-testid="all-runs-status">
              <option value="">any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Pipeline{' '}
            <select value={pipelineId} onChange={(e) => setPipelineId(e.target.value)} data-testid="all-runs-pipeline">
              <option value="">every pipeline</option>
              {pipelines.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </label>
          <span className="pik-spacer" />
          <button type="button" aria-pressed={view === 'runs'} className={view === 'runs' ? 'active' : ''} onClick={() => setView('runs')} data-testid="all-runs-view-runs">
            Runs
          </button>
          <button type="button" aria-pressed={view === 'outputs'} className={view === 'outputs' ? 'active' : ''} onClick={() => setView('outputs')} data-testid="all-runs-view-outputs">
            Outputs
          </button>
        </div>
        {error && <p className="pik-field-error">{error}</p>}
        {!busy && runs.length === 0 && !error && <p className="pik-muted">No runs match.</p>}
        {view === 'runs' ? (
          <table className="pik-runs-table" data-testid="all-runs-table">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Pipeline</th>
                <th scope="col">Version</th>
                <th scope="col">Started</th>
                <th scope="col">Took</th>
                <th scope="col">Outputs</th>
                <th scope="col">
                  <span className="pik-sr-only">Open</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                const media = mediaIn(r.outputs);
                return (
                  <tr key={r.id} data-testid="all-runs-row" data-status={r.status}>
                    <td>
                      <span className={`pik-status pik-status-${r.status}`}>{r.status}</span>
                    </td>
                    <td>{nameOf(r)}</td>
                    <td>{r.pipelineVersion ? `v${r.pipelineVersion}` : ''}</td>
                    <td>{formatTime(r.createdAt)}</td>
                    <td>{r.finishedAt ? formatDuration(Date.parse(r.finishedAt) - Date.parse(r.createdAt)) : ''}</td>
                    <td className="pik-runs-outputs">
                      {media.slice(0, 3).map((m) => (
                        <Media key={m.url} item={m} alt={`${m.name} of ${nameOf(r)}`} className="pik-runs-thumb" />
                      ))}
                      {media.length === 0 && Object.keys(r.outputs ?? {}).length > 0 && (
                        <span className="pik-muted">{Object.keys(r.outputs ?? {}).join(', ')}</span>
                      )}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="pik-small"
                        onClick={() => {
                          close();
                          void openRun(r);
                          useUiStore.getState().setRightTab('runs');
                        }}
                        aria-label={`Open the run of ${nameOf(r)} from ${formatTime(r.createdAt)}`}
                      >
                        Open
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : (
          <ul className="pik-gallery pik-outputs-grid" data-testid="all-outputs-grid">
            {outputs.map((m) => (
              <li key={`${m.run.id}:${m.name}:${m.url}`} data-testid="all-outputs-item">
                <figure>
                  <Media
                    item={m}
                    alt={`${m.name} of ${m.pipeline}`}
                    onOpen={() =>
                      openLightbox({
                        url: m.url,
                        name: `${m.pipeline} · ${m.name}`,
                        kind: m.kind,
                        download: downloadName(m.pipeline, m.name, m.run.id, m.mime),
                      })
                    }
                  />
                  <figcaption>
                    <span className="pik-ellipsis">
                      {m.pipeline} · {m.name}
                    </span>
                    <span className="pik-muted pik-mono">{m.run.id.slice(0, 8)}</span>
                  </figcaption>
                </figure>
              </li>
            ))}
          </ul>
        )}
        {cursor && (
          <button type="button" onClick={() => void load(cursor)} disabled={busy} data-testid="all-runs-more">
            {busy ? 'Loading…' : 'Load 20 more'}
          </button>
        )}
      </div>
    </Modal>
  );
}
