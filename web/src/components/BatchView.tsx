import { useShallow } from 'zustand/react/shallow';
import type { BatchView as BatchViewData } from '@pikflow/pipeline';
import { batchZipUrl } from '../lib/api-client.ts';
import { batchEnded, closeBatchView, controlBatch, downloadZipWithToken, finishedItems, openItemRun, showMoreItems } from '../lib/batch-actions.ts';
import { fileSlug, formatDuration } from '../lib/run-values.ts';
import { GRID_PAGE, useBatchStore, type BatchItemRow } from '../store/batch-store.ts';
import { useUiStore } from '../store/ui-store.ts';
import { Media } from './Media.tsx';
import { Modal } from './Modal.tsx';

const STATUS_ORDER = ['succeeded', 'failed', 'invalid', 'cancelled', 'running', 'queued', 'pending'] as const;

/** `<pipeline>-batch-<short id>.zip`: the download says what it holds. */
export const batchZipName = (pipelineName: string, batchId: string) => `${fileSlug(pipelineName, 'pipeline')}-batch-${batchId.replace(/-/g, '').slice(0, 8)}.zip`;

/** A result's own file name: the item's name with the result's extension. */
function resultName(label: string, url: string, mime: string | undefined): string {
  const base = (label.split('/').pop() ?? label).replace(/\.[a-z0-9]{1,5}$/i, '');
  const ext = mime?.split('/')[1]?.replace('jpeg', 'jpg').replace('svg+xml', 'svg') ?? url.split('.').pop() ?? 'png';
  return `${base}-result.${ext}`;
}

function Progress({ view }: { view: BatchViewData }) {
  const done = finishedItems(view);
  const percent = view.total ? Math.round((done / view.total) * 100) : 0;
  const counts = STATUS_ORDER.filter((s) => view.counts[s] > 0);
  const live = !batchEnded(view) && view.status !== 'paused';
  return (
    <div className="pik-batch-progress">
      <div className="pik-batch-progress-row">
        <div
          className="pik-progress"
          role="progressbar"
          aria-label="Items finished"
          aria-valuemin={0}
          aria-valuemax={view.total}
          aria-valuenow={done}
          aria-valuetext={`${done} of ${view.total} items finished`}
          data-testid="batch-progress"
        >
          <div className={`pik-progress-bar${view.counts.failed + view.counts.invalid ? ' has-failures' : ''}`} style={{ width: `${percent}%` }} />
        </div>
        <span className="pik-mono" data-testid="batch-progress-text">
          {done}/{view.total}
        </span>
      </div>
      <div className="pik-batch-counts" data-testid="batch-counts">
        {counts.map((s) => (
          <span key={s} className={`pik-status pik-status-${s === 'invalid' ? 'failed' : s}`} data-testid={`batch-count-${s}`}>
            {view.counts[s]} {s}
          </span>
        ))}
        {view.itemsPerSecond ? <span className="pik-muted">{view.itemsPerSecond < 1 ? `${(view.itemsPerSecond * 60).toFixed(1)} items/min` : `${view.itemsPerSecond.toFixed(1)} items/s`}</span> : null}
        {live && view.etaSeconds !== undefined ? <span className="pik-muted" data-testid="batch-eta">about {formatDuration(view.etaSeconds * 1000) || '0 s'} left</span> : null}
      </div>
    </div>
  );
}

function ItemTile({ row, pipelineName }: { row: BatchItemRow; pipelineName: string }) {
  const openLightbox = useUiStore((s) => s.openLightbox);
  const failed = row.status === 'failed' || row.status === 'invalid' || row.status === 'cancelled';
  const name = row.label.split('/').pop() ?? row.label;
  return (
    <li className={`pik-batch-item pik-batch-item-${row.status}`} data-testid="batch-item" data-status={row.status} data-label={row.label}>
      <div className="pik-batch-thumb">
        {row.result ? (
          <Media
            item={row.result}
            alt={`${name}: result`}
            testId="batch-item-result"
            onOpen={() =>
              openLightbox({ url: row.result!.url, name: `${name} (${pipelineName})`, kind: row.result!.kind, download: resultName(row.label, row.result!.url, row.result!.mime) })
            }
          />
        ) : (
          <span className={`pik-status pik-status-${row.status === 'invalid' ? 'failed' : row.status}`}>{row.status === 'succeeded' ? (row.result === null ? 'no image' : 'loading…') : row.status}</span>
        )}
      </div>
      <div className="pik-batch-caption">
        <span className="pik-ellipsis" title={row.label}>
          {name}
        </span>
        {failed && row.error?.message && (
          <span className="pik-field-error pik-batch-error" data-testid="batch-item-error" title={row.error.message}>
            {row.error.message}
          </span>
        )}
        {failed && row.runId && (
          <button type="button" className="pik-small" onClick={() => void openItemRun(row.runId!)} aria-label={`Open run of ${name}`} data-testid="batch-item-open-run">
            Open run
          </button>
        )}
      </div>
    </li>
  );
}

/** A batch's progress, its results as they arrive, its failures with their reasons, and its ZIP. */
export function BatchView() {
  const { batchId, view, items, shown, pipelineName, error } = useBatchStore(
    useShallow(({ batchId, view, items, shown, pipelineName, error }) => ({ batchId, view, items, shown, pipelineName, error })),
  );
  // Escape in the full-size view closes that view, not the batch under it.
  const close = () => !useUiStore.getState().lightbox && closeBatchView();
  if (!batchId) return null;
  const retryable = view ? view.counts.failed + view.counts.cancelled : 0;
  const total = view?.total ?? 0;
  return (
    <Modal
      title={`Batch${pipelineName ? ` · ${pipelineName}` : ''}${total ? ` · ${total} images` : ''}`}
      onClose={close}
      wide
      testId="batch-view"
      footer={
        <>
          {view && (
            <span className={`pik-status pik-status-${view.status === 'completed' ? 'succeeded' : view.status === 'paused' ? 'queued' : view.status}`} data-testid="batch-status">
              {view.status}
            </span>
          )}
          {view?.status === 'running' && (
            <button type="button" onClick={() => void controlBatch('pause')} data-testid="batch-pause">
              Pause
            </button>
          )}
          {view?.status === 'paused' && (
            <button type="button" onClick={() => void controlBatch('resume')} data-testid="batch-resume">
              Resume
            </button>
          )}
          {view && !batchEnded(view) && (
            <button type="button" onClick={() => void controlBatch('cancel')} data-testid="batch-cancel">
              Cancel batch
            </button>
          )}
          {retryable > 0 && (
            <button type="button" onClick={() => void controlBatch('retry-failed')} data-testid="batch-retry-failed">
              Retry failed items ({retryable})
            </button>
          )}
          <a
            className="pik-button pik-primary"
            href={batchZipUrl(batchId)}
            download={batchZipName(pipelineName, batchId)}
            onClick={(e) => downloadZipWithToken(batchId, batchZipName(pipelineName, batchId)) && e.preventDefault()}
            aria-disabled={!view?.counts.succeeded}
            data-testid="batch-zip"
          >
            Download ZIP{view ? ` (${view.counts.succeeded} result${view.counts.succeeded === 1 ? '' : 's'})` : ''}
          </a>
        </>
      }
    >
      <div className="pik-modal-body" data-testid="batch-body" data-batch-id={batchId}>
        {!view && !error && <p className="pik-muted">Loading the batch…</p>}
        {error && (
          <p className="pik-field-error" role="alert">
            {error}
          </p>
        )}
        {view && <Progress view={view} />}
        {view?.error && (
          <p className="pik-warning" role="note" data-testid="batch-error">
            {view.status === 'paused' ? 'Paused: ' : ''}
            {view.error.message}
          </p>
        )}
        <ul className="pik-batch-grid" aria-label="Items" data-testid="batch-grid">
          {items.map((row) => (
            <ItemTile key={row.idx} row={row} pipelineName={pipelineName} />
          ))}
        </ul>
        {total > shown && (
          <button type="button" onClick={showMoreItems} data-testid="batch-show-more">
            Show {Math.min(total - shown, GRID_PAGE)} more of {total - shown} not shown
          </button>
        )}
      </div>
    </Modal>
  );
}
