import { memo } from 'react';
import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { PortType } from '@pikflow/catalog';
import type { PikNode as PikNodeType } from '../lib/graph-types.ts';
import { useEditorStore, type NodeLive } from '../store/editor-store.ts';
import { useUiStore } from '../store/ui-store.ts';
import { PORT_COLORS, categoryColor, portLimitsText } from '../lib/catalog-display.ts';
import { humanize, summarize, valueLabel, type JsonSchema } from '../lib/json-schema.ts';
import { onNodeText } from '../lib/problem-text.ts';
import { downloadName, firstImage, firstMedia, formatDuration } from '../lib/run-values.ts';
import { quotaCountdown } from '../lib/run-notice.ts';
import { useNow } from '../lib/use-now.ts';
import { Media } from './Media.tsx';
import { RunNotice } from './RunNotice.tsx';
import { estimateBadgeText, useEstimateStore } from '../store/estimate-store.ts';

const STATUS_TEXT: Record<string, string> = {
  pending: 'waiting',
  queued: 'queued',
  waiting_for_quota: 'waiting for quota',
  running: 'running',
  submitted: 'submitted',
  succeeded: 'done',
  cached: 'cached',
  bypassed: 'bypassed',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
};

/** Before a run: what one run of this node costs (saved version; the server's estimate). */
function CostBadge({ nodeId }: { nodeId: string }) {
  const estimate = useEstimateStore((s) => s.byNode[nodeId]);
  const currency = useEstimateStore((s) => s.currency);
  if (!estimate) return null;
  const text = estimateBadgeText(estimate, currency);
  return (
    <span className="pik-cost-badge" data-testid={`node-estimate-${nodeId}`} title={`One run: ${text} to ${estimate.service} (saved version)`}>
      {text}
    </span>
  );
}

function StatusBadge({ live, nodeId }: { live: NodeLive; nodeId: string }) {
  const active = live.status === 'running' || live.status === 'submitted';
  const waiting = live.status === 'waiting_for_quota';
  const now = useNow(active || waiting);
  const since = live.startedAt ?? live.submittedAt;
  const until = live.finishedAt ? Date.parse(live.finishedAt) : now;
  const elapsed = since ? formatDuration(until - Date.parse(since)) : '';
  return (
    <span className={`pik-status pik-status-${live.status}`} data-testid={`node-status-${nodeId}`} data-status={live.status}>
      {active && <span className="pik-spinner" aria-hidden />}
      {waiting ? quotaCountdown(live.waiting, now) : (STATUS_TEXT[live.status] ?? live.status)}
      {elapsed && !waiting && live.status !== 'queued' && live.status !== 'skipped' ? ` · ${elapsed}` : ''}
    </span>
  );
}

function PortHandle({ kind, nodeId, name, type }: { kind: 'in' | 'out'; nodeId: string; name: string; type: PortType }) {
  return (
    <Handle
      type={kind === 'in' ? 'target' : 'source'}
      position={kind === 'in' ? Position.Left : Position.Right}
      id={name}
      className={`pik-handle pik-handle-${type === 'image[]' ? 'list' : type}`}
      style={{ background: PORT_COLORS[type], borderColor: PORT_COLORS[type] }}
      data-testid={`handle-${nodeId}-${kind}-${name}`}
      title={`${name}: ${type}`}
    />
  );
}

function PikNodeView({ id, data, selected }: NodeProps<PikNodeType>) {
  const def = useEditorStore((s) => s.catalogById.get(data.type));
  const problems = useEditorStore((s) => s.problems).filter((p) => p.nodeId === id);
  const live = useEditorStore((s) => s.run?.nodes[id]);
  const linkedInputs = useEditorStore((s) => s.edges).filter((e) => e.target === id);
  const openLightbox = useUiStore((s) => s.openLightbox);
  const runId = useEditorStore((s) => s.run?.runId ?? '');
  const pipelineName = useEditorStore((s) => s.pipeline.name);

  if (!def) {
    return (
      <div className="pik-node pik-node-invalid" data-testid={`node-${id}`}>
        <div className="pik-node-header">
          <span className="pik-node-title">{data.label ?? data.type}</span>
        </div>
        <div className="pik-node-problem">Unknown node type “{data.type}”</div>
      </div>
    );
  }

  const linked = new Set(linkedInputs.map((e) => e.targetHandle ?? ''));
  const allProblems = problems.map((p) => ({ field: p.field, message: onNodeText(p.message) }));
  const thumb = live?.status === 'succeeded' ? firstMedia(live.outputs) : undefined;
  const accent = categoryColor(def.category);
  const classes = ['pik-node'];
  if (selected) classes.push('selected');
  if (allProblems.length) classes.push('pik-node-invalid');
  if (live) classes.push(`pik-node-run-${live.status}`);
  if (data.bypass) classes.push('pik-node-bypassed');

  return (
    <div className={classes.join(' ')} data-testid={`node-${id}`} data-node-type={data.type}>
      <div className={`pik-node-header${live ? ' pik-has-status' : ''}`} style={{ borderTopColor: accent }}>
        <span className="pik-node-dot" style={{ background: accent }} />
        <span className="pik-node-title" title={def.description}>
          {data.label || def.title}
        </span>
        {data.bypass && (
          <span className="pik-bypassed-badge" data-testid={`node-bypassed-${id}`} title="Bypassed (Ctrl+B): nothing is sent, its inputs pass through">
            bypassed
          </span>
        )}
        {live ? <StatusBadge live={live} nodeId={id} /> : <CostBadge nodeId={id} />}
      </div>
      <div className="pik-node-ports">
        <div className="pik-node-inputs">
          {def.inputs.map((p) => (
            <div className="pik-port pik-port-in" key={p.name}>
              <PortHandle kind="in" nodeId={id} name={p.name} type={p.type} />
              <span className="pik-port-label" title={`${p.name}: ${p.type}${p.maxItems ? `, up to ${p.maxItems}` : ''}${p.imageLimits ? `; ${portLimitsText(p)}` : ''}`}>
                {p.label ?? p.name}
                {p.maxItems ? <span className="pik-port-type">≤{p.maxItems}</span> : null}
                {p.required ? <span className="pik-required">*</span> : null}
              </span>
            </div>
          ))}
        </div>
        <div className="pik-node-outputs">
          {def.outputs.map((p) => (
            <div className="pik-port pik-port-out" key={p.name}>
              <span className="pik-port-label" title={`${p.name}: ${p.type}`}>
                {p.label ?? p.name}
              </span>
              <PortHandle kind="out" nodeId={id} name={p.name} type={p.type} />
            </div>
          ))}
        </div>
      </div>
      {def.summaryParams.length > 0 && (
        <div className="pik-node-params">
          {def.summaryParams.map((key) => (
            <div className="pik-node-param" key={key} data-testid={`node-param-${id}-${key}`}>
              <span className="pik-node-param-key">{humanize(key)}</span>
              <span className="pik-node-param-value">
                {linked.has(key) ? 'from link' : summarize(shownValue(def.paramsSchema, key, data.params[key] ?? def.defaults[key]), 80)}
              </span>
            </div>
          ))}
        </div>
      )}
      {live && <RunNotice live={live} testId={`node-notice-${id}`} className="pik-node-notice" />}
      {live?.taskId && live.status !== 'succeeded' && (
        <div className="pik-node-task" data-testid={`node-task-${id}`}>
          task {live.taskId}
        </div>
      )}
      {live?.status === 'failed' && live.error && (
        <div className="pik-node-problem" data-testid={`node-error-${id}`}>
          {live.error.message}
        </div>
      )}
      {thumb && thumb.kind === 'video' && (
        <div className="pik-node-thumb pik-node-video nodrag nowheel">
          <Media item={thumb} alt={`${data.label || def.title} result`} testId={`node-video-${id}`} />
        </div>
      )}
      {thumb && thumb.kind === 'image' && (
        <button
          type="button"
          className="pik-node-thumb nodrag"
          onClick={() => {
            const before = firstImage(live?.inputs);
            openLightbox({
              url: thumb.url,
              name: `${data.label || def.title} · ${thumb.name}`,
              kind: 'image',
              download: downloadName(pipelineName, id, runId, thumb.mime),
              before: before && before.url !== thumb.url ? before : undefined,
            });
          }}
          title="Open full size"
        >
          <img src={thumb.url} alt={`${def.title} result`} data-testid={`node-thumb-${id}`} />
          {thumb.width && thumb.height ? (
            <span className="pik-node-thumb-size">
              {thumb.width}×{thumb.height}
            </span>
          ) : null}
        </button>
      )}
      {allProblems.length > 0 && (
        <ul className="pik-node-problems" data-testid={`node-problems-${id}`}>
          {allProblems.slice(0, 4).map((p, i) => (
            <li key={i}>{p.message}</li>
          ))}
          {allProblems.length > 4 && <li>…and {allProblems.length - 4} more</li>}
        </ul>
      )}
    </div>
  );
}

export const PikNode = memo(PikNodeView);

/** A param's value as the node face shows it: an enum value by its catalog label ("Square 1:1"). */
function shownValue(paramsSchema: Record<string, unknown>, key: string, value: unknown): unknown {
  const schema = (paramsSchema.properties as Record<string, JsonSchema> | undefined)?.[key];
  return (schema && valueLabel(schema, value)) ?? value;
}
