import { useEffect, useMemo, useState } from 'react';
import type { RunView } from '@pikflow/pipeline';
import { useEditorStore, type NodeLive } from '../store/editor-store.ts';
import { useUiStore } from '../store/ui-store.ts';
import { api } from '../lib/api-client.ts';
import { cancelRun, openRun, retryRun } from '../lib/pipeline-actions.ts';
import { downloadHref, formatDuration, formatTime, isAssetRef, isVideo } from '../lib/run-values.ts';
import { runResults, type ResultItem } from '../lib/run-results.ts';
import { Media } from './Media.tsx';
import { RunNotice } from './RunNotice.tsx';
import { nodeTitle } from '../lib/connection-rules.ts';
import { quotaCountdown } from '../lib/run-notice.ts';
import { useNow } from '../lib/use-now.ts';
import { openBatch } from '../lib/batch-actions.ts';
import { useBatchStore } from '../store/batch-store.ts';

/** A node row's status pill; a node held back by a limit counts down to when it expects to go. */
function NodeRunStatus({ n }: { n: NodeLive }) {
  const waiting = n.status === 'waiting_for_quota';
  const now = useNow(waiting, 500);
  return (
    <span className={`pik-status pik-status-${n.status}`}>
      {n.status === 'cached' ? 'cached · 0 requests' : waiting ? quotaCountdown(n.waiting, now) : n.status}
    </span>
  );
}

/**
 * The batches of this pipeline, from the server (so batches started over REST or in another
 * browser are here too), with the ones this browser started while the list loads or if it fails.
 */
function RecentBatches({ pipelineId }: { pipelineId: string | undefined }) {
  const recent = useBatchStore((s) => s.recent);
  const pipelineName = useEditorStore((s) => s.pipeline.name);
  const [listed, setListed] = useState<{ id: string; total: number; createdAt: string; status: string }[] | null>(null);
  useEffect(() => {
    setListed(null);
    if (!pipelineId) return;
    let alive = true;
    api
      .listBatches(pipelineId)
      .then((batches) => alive && setListed(batches))
      .catch(() => alive && setListed(null));
    return () => {
      alive = false;
    };
  }, [pipelineId, recent]);
  const local = recent.filter((b) => b.pipelineId === pipelineId);
  const shown = listed ?? local;
  if (!pipelineId || !shown.length) return null;
  return (
    <>
      <h4>Batches</h4>
      <ul className="pik-run-history" data-testid="batch-history">
        {shown.map((b) => (
          <li key={b.id}>
            <button type="button" onClick={() => void openBatch(b.id, local.find((l) => l.id === b.id)?.pipelineName ?? pipelineName)} data-testid={`batch-history-item-${b.id}`}>
              <span className={`pik-status pik-status-${'status' in b && b.status === 'completed' ? 'succeeded' : 'queued'}`}>batch</span>
              <span>{b.total} images</span>
              <span className="pik-muted">{formatTime(b.createdAt)}</span>
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

function ValueView({ value }: { value: unknown }) {
  const openLightbox = useUiStore((s) => s.openLightbox);
  if (isAssetRef(value)) {
    const isImage = !value.mime || value.mime.startsWith('image/');
    return (
      <span className="pik-value-asset">
        {isImage && (
          <button type="button" className="pik-media-open" onClick={() => openLightbox({ url: value.url, name: value.assetId })} aria-label="Open full size">
            <img src={value.url} alt="" />
          </button>
        )}
        {isVideo(value) && <Media item={{ url: value.url, kind: 'video' }} alt="video" />}
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

function ValueTable({ title, values, testId }: { title: string; values?: Record<string, unknown>; testId?: string }) {
  const entries = Object.entries(values ?? {});
  if (!entries.length) return null;
  return (
    <div className="pik-value-table" data-testid={testId}>
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

function ResultFigure({ item, testId }: { item: ResultItem; testId: string }) {
  const openLightbox = useUiStore((s) => s.openLightbox);
  return (
    <figure data-testid={`${testId}-item`} data-node-id={item.nodeId}>
      <Media
        item={item}
        alt={item.title}
        testId={item.kind === 'video' ? 'gallery-video' : 'gallery-image'}
        onOpen={() =>
          openLightbox({ url: item.url, name: item.title, kind: item.kind, download: item.download, before: item.before })
        }
      />
      <figcaption>
        <span className="pik-ellipsis" title={item.title}>
          {item.title}
        </span>
        {item.width && item.height ? <span className="pik-muted">{item.width}×{item.height}</span> : null}
        <a href={downloadHref(item.url, item.download)} download={item.download} title={`Download ${item.download}`} aria-label={`Download ${item.title}`} data-testid="gallery-download">
          ⤓
        </a>
      </figcaption>
    </figure>
  );
}

/** A value in a few words: text by its start and length, files by their size. */
function briefly(value: unknown): string {
  if (isAssetRef(value)) return `${value.mime ?? 'file'}${value.width && value.height ? ` ${value.width}×${value.height}` : ''}${value.size ? `, ${Math.round(value.size / 1024)} KB` : ''}`;
  if (Array.isArray(value)) return value.length && value.every(isAssetRef) ? `${value.length} file${value.length === 1 ? '' : 's'}: ${value.map(briefly).join('; ')}` : JSON.stringify(value).slice(0, 120);
  if (typeof value === 'string') {
    if (value.startsWith('data:')) return `inline ${value.slice(5, value.indexOf(';'))} (${Math.round(value.length / 1365)} KB)`;
    return value.length > 80 ? `“${value.slice(0, 80)}…” (${value.length} characters)` : `“${value}”`;
  }
  return JSON.stringify(value);
}

/**
 * When Freepik says FAILED without a reason, the next best thing is what it was given:
 * the settings and inputs of this node, summarised, to compare with the documented limits.
 */
function WhatWasSent({ settings, inputs, nodeId, reasonless }: { settings?: Record<string, unknown>; inputs?: Record<string, unknown>; nodeId: string; reasonless: boolean }) {
  const rows = [...Object.entries(settings ?? {}), ...Object.entries(inputs ?? {})];
  if (!rows.length) return null;
  return (
    <div className="pik-value-table" data-testid={`run-node-sent-${nodeId}`}>
      <div className="pik-value-title">{reasonless ? 'Freepik gave no reason — this is what was sent' : 'What was sent'}</div>
      <ul className="pik-sent-list">
        {rows.map(([k, v]) => (
          <li key={k}>
            <span className="pik-value-key">{k}</span> {briefly(v)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function CurrentRun() {
  const run = useEditorStore((s) => s.run);
  const nodes = useEditorStore((s) => s.nodes);
  const edges = useEditorStore((s) => s.edges);
  const pipelineName = useEditorStore((s) => s.pipeline.name);
  const catalogById = useEditorStore((s) => s.catalogById);
  const selectOnly = useEditorStore((s) => s.selectOnly);
  // A failed node's row opens by itself: the reason is what the user came for.
  const [chosen, setOpen] = useState<string | null | undefined>(undefined);
  const failedId = run ? Object.keys(run.nodes).find((id) => run.nodes[id].status === 'failed') : undefined;
  const open = chosen === undefined ? (failedId ?? null) : chosen;
  const results = useMemo(
    () => (run ? runResults(run, nodes, edges, catalogById, pipelineName) : undefined),
    [run, nodes, edges, catalogById, pipelineName],
  );
  if (!run || !results) return null;
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
        {run.pipelineVersion ? <span className="pik-muted" data-testid="run-version">v{run.pipelineVersion}</span> : null}
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
      {(results.outputs.length > 0 || results.values.length > 0) && (
        <>
          <h4>Outputs</h4>
          {results.outputs.length > 0 && (
            <div className="pik-gallery" data-testid="outputs-gallery">
              {results.outputs.map((item) => (
                <ResultFigure key={item.key} item={item} testId="outputs-gallery" />
              ))}
            </div>
          )}
          {results.values.map((v) => (
            <div className="pik-value-row" key={v.key} data-testid={`run-output-${v.nodeId}`}>
              <span className="pik-value-key" title={v.title}>
                {v.title}
              </span>
              <ValueView value={v.value} />
            </div>
          ))}
        </>
      )}
      {results.intermediates.length > 0 && (
        <>
          <h4>Steps</h4>
          <div className="pik-gallery" data-testid="intermediates-gallery">
            {results.intermediates.map((item) => (
              <ResultFigure key={item.key} item={item} testId="intermediates-gallery" />
            ))}
          </div>
        </>
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
                aria-expanded={open === id}
                onClick={() => {
                  setOpen(open === id ? null : id);
                  if (node) selectOnly(id);
                }}
              >
                <NodeRunStatus n={n} />
                {n.possibleDuplicateCharge && <span className="pik-warning-mark" title="possibly charged twice">⚠ 2×</span>}
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
              {(run.status === 'queued' || run.status === 'running') && <RunNotice live={n} testId={`run-node-notice-${id}`} className="pik-run-row-notice" />}
              {open === id && (
                <div className="pik-run-node-body">
                  {n.taskId && (
                    <div className="pik-muted">
                      task <span className="pik-mono">{n.taskId}</span>
                      {n.pollCount ? ` · ${n.pollCount} status checks` : ''}
                    </div>
                  )}
                  {n.error && <div className="pik-field-error pik-error-body" data-testid={`run-node-error-${id}`}>{n.error.message}</div>}
                  {n.possibleDuplicateCharge && (
                    // The engine re-sent a request whose first answer was lost: Freepik may bill it twice.
                    <div className="pik-warning" role="note" data-testid={`run-node-duplicate-${id}`}>
                      Possibly charged twice: the first request's answer was lost (a crash or a dropped connection), so it was sent once more. Check Freepik's usage for this task.
                    </div>
                  )}
                  {n.status === 'failed' && <WhatWasSent settings={run.params?.[id]} inputs={n.inputs} nodeId={id} reasonless={/no reason given/i.test(n.error?.message ?? '')} />}
                  <ValueTable title="Settings" values={run.params?.[id]} testId={`run-node-settings-${id}`} />
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
      <CurrentRun key={run?.runId} />
      <RecentBatches pipelineId={pipelineId} />
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
              onClick={() => void openRun(r)}
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
