import { useEffect, useState } from 'react';
import type { RunView } from '@pikflow/pipeline';
import { useEditorStore } from '../store/editor-store.ts';
import { useUiStore } from '../store/ui-store.ts';
import { api } from '../lib/api-client.ts';
import { cancelRun, followRun, retryRun } from '../lib/pipeline-actions.ts';
import { formatDuration, formatTime, imagesIn, isAssetRef } from '../lib/run-values.ts';
import { nodeTitle } from '../lib/connection-rules.ts';

function ValueView({ value }: { value: unknown }) {
  const openLightbox = useUiStore((s) => s.openLightbox);
  if (isAssetRef(value)) {
    const isImage = !value.mime || value.mime.startsWith('image/');
    return (
      <span className="pik-value-asset">
        {isImage && (
          <img src={value.url} alt="" onClick={() => openLightbox({ url: value.url, name: value.assetId })} />
        )}
        <a href={value.url} target="_blank" rel="noreferrer">
          {value.mime ?? 'file'}
          {value.width && value.height ? ` ${value.width}×${value.height}` : ''}
        </a>
      </span>
    );
  }
  if (Array.isArray(value) && value.every(isAssetRef)) {
    return (
      <span className="pik-value-list">
        {value.map((v, i) => (
          <ValueView key={i} value={v} />
        ))}
      </span>
    );
  }
  if (typeof value === 'string') {
    if (/^https?:\/\//.test(value)) {
      return (
        <a className="pik-mono pik-ellipsis" href={value} target="_blank" rel="noreferrer">
          {value}
        </a>
      );
    }
    return <span className="pik-mono pik-value-text">{value.length > 300 ? `${value.slice(0, 300)}…` : value}</span>;
  }
  return <pre className="pik-mono pik-value-json">{JSON.stringify(value, null, 2)}</pre>;
}

function ValueTable({ title, values }: { title: string; values?: Record<string, unknown> }) {
  const entries = Object.entries(values ?? {});
  if (!entries.length) return null;
  return (
    <div className="pik-value-table">
      <div className="pik-value-title">{title}</div>
      {entries.map(([k, v]) => (
        <div className="pik-value-row" key={k}>
          <span className="pik-value-key">{k}</span>
          <ValueView value={v} />
        </div>
      ))}
    </div>
  );
}

function CurrentRun() {
  const run = useEditorStore((s) => s.run);
  const nodes = useEditorStore((s) => s.nodes);
  const catalogById = useEditorStore((s) => s.catalogById);
  const selectOnly = useEditorStore((s) => s.selectOnly);
  const openLightbox = useUiStore((s) => s.openLightbox);
  const [open, setOpen] = useState<string | null>(null);
  if (!run) return null;
  const gallery = [
    ...imagesIn(run.outputs),
    ...Object.entries(run.nodes)
      .filter(([id]) => nodes.find((n) => n.id === id)?.data.type !== 'output')
      .flatMap(([id, n]) => imagesIn(n.outputs, id)),
  ].filter((img, i, all) => all.findIndex((o) => o.url === img.url) === i);
  const took = run.finishedAt && run.createdAt ? formatDuration(Date.parse(run.finishedAt) - Date.parse(run.createdAt)) : '';
  const order = nodes.map((n) => n.id).filter((id) => run.nodes[id]);
  const extra = Object.keys(run.nodes).filter((id) => !order.includes(id));
  return (
    <section className="pik-run-current" data-testid="current-run" data-run-id={run.runId} data-status={run.status}>
      <div className="pik-run-head">
        <span className={`pik-status pik-status-${run.status}`} data-testid="run-status">
          {run.live && <span className="pik-spinner" aria-hidden />}
          {run.status}
        </span>
        <span className="pik-mono pik-muted" title={run.runId}>
          {run.runId.slice(0, 12)}
        </span>
        {took && <span className="pik-muted">{took}</span>}
        {run.pipelineVersion ? <span className="pik-muted">v{run.pipelineVersion}</span> : null}
        {run.live && (
          <button type="button" className="pik-small" onClick={() => void cancelRun(run.runId)}>
            Cancel
          </button>
        )}
        {run.status === 'failed' && (
          <button type="button" className="pik-small" onClick={() => void retryRun(run.runId)} title="Run again, reusing every node this run completed" data-testid="run-retry">
            Retry
          </button>
        )}
      </div>
      {run.usage && !run.live && (
        <div className="pik-muted" data-testid="run-usage">
          {run.usage.freepikRequests} Freepik request{run.usage.freepikRequests === 1 ? '' : 's'}
          {run.usage.cachedNodes ? ` · ${run.usage.cachedNodes} node${run.usage.cachedNodes === 1 ? '' : 's'} from the cache` : ''}
        </div>
      )}
      {run.error && <div className="pik-field-error">{run.error.message}</div>}
      {gallery.length > 0 && (
        <div className="pik-gallery" data-testid="outputs-gallery">
          {gallery.map((img) => (
            <figure key={img.url}>
              <img
                src={img.url}
                alt={img.name}
                onClick={() => openLightbox({ url: img.url, name: img.name })}
                data-testid="gallery-image"
              />
              <figcaption>
                <span className="pik-ellipsis">{img.name}</span>
                {img.width && img.height ? <span className="pik-muted">{img.width}×{img.height}</span> : null}
                <a href={img.url} download={`${img.name.replace(/[^\w.-]+/g, '_')}`} title="Download">
                  ⤓
                </a>
              </figcaption>
            </figure>
          ))}
        </div>
      )}
      <div className="pik-run-nodes">
        {[...order, ...extra].map((id) => {
          const n = run.nodes[id];
          const node = nodes.find((x) => x.id === id);
          const started = n.startedAt ?? n.submittedAt;
          return (
            <div key={id} className="pik-run-node" data-testid={`run-node-${id}`}>
              <button
                type="button"
                className="pik-run-node-head"
                onClick={() => {
                  setOpen(open === id ? null : id);
                  if (node) selectOnly(id);
                }}
              >
                <span className={`pik-status pik-status-${n.status}`}>{n.status === 'cached' ? 'cached · 0 requests' : n.status}</span>
                <span className="pik-ellipsis">
                  {node ? nodeTitle(node, catalogById) : id}
                  {node && !node.data.label && typeof node.data.params.name === 'string' ? (
                    <span className="pik-muted"> · {node.data.params.name}</span>
                  ) : null}
                </span>
                <span className="pik-muted">
                  {started && n.finishedAt ? formatDuration(Date.parse(n.finishedAt) - Date.parse(started)) : ''}
                </span>
              </button>
              {open === id && (
                <div className="pik-run-node-body">
                  {n.taskId && (
                    <div className="pik-muted">
                      task <span className="pik-mono">{n.taskId}</span>
                      {n.pollCount ? ` · ${n.pollCount} status checks` : ''}
                    </div>
                  )}
                  {n.error && <div className="pik-field-error">{n.error.message}</div>}
                  <ValueTable title="Inputs" values={n.inputs} />
                  <ValueTable title="Outputs" values={n.outputs} />
                </div>
              )}
            </div>
          );
        })}
      </div>
    </section>
  );
}

export function RunsPanel() {
  const pipelineId = useEditorStore((s) => s.pipeline.id);
  const run = useEditorStore((s) => s.run);
  const [history, setHistory] = useState<RunView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const runKey = `${run?.runId}:${run?.status}`;

  useEffect(() => {
    if (!pipelineId) {
      setHistory([]);
      return;
    }
    let alive = true;
    api
      .listRuns(pipelineId)
      .then((runs) => alive && (setHistory(runs), setError(null)))
      .catch((e) => alive && setError((e as Error).message));
    return () => {
      alive = false;
    };
  }, [pipelineId, runKey]);

  return (
    <div className="pik-inspector-body" data-testid="runs-panel">
      <CurrentRun />
      <h4>Run history</h4>
      {!pipelineId && <p className="pik-muted">Save the pipeline to run it and keep its history.</p>}
      {error && <p className="pik-field-error">{error}</p>}
      {history && history.length === 0 && pipelineId && <p className="pik-muted">No runs yet. Press Run (Ctrl+Enter).</p>}
      <ul className="pik-run-history" data-testid="run-history">
        {(history ?? []).map((r) => (
          <li key={r.id}>
            <button
              type="button"
              className={run?.runId === r.id ? 'active' : ''}
              onClick={() => void followRun(r.id)}
              data-testid={`run-history-item-${r.id}`}
            >
              <span className={`pik-status pik-status-${r.status}`}>{r.status}</span>
              <span>{formatTime(r.createdAt)}</span>
              {r.pipelineVersion ? <span className="pik-muted">v{r.pipelineVersion}</span> : null}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
