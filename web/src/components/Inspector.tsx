import { Fragment, useEffect, useId, useState } from 'react';
import type { CatalogNode } from '@pikflow/catalog';
import { useShallow } from 'zustand/react/shallow';
import { useEditorStore } from '../store/editor-store.ts';
import { schemaFields } from '../lib/json-schema.ts';
import { PORT_COLORS, categoryColor, categoryLabel, portLimitsText } from '../lib/catalog-display.ts';
import { ParamField } from './ParamField.tsx';
import { nodeTitle } from '../lib/connection-rules.ts';
import { onNodeText } from '../lib/problem-text.ts';
import { rerollNode, runFromHere } from '../lib/pipeline-actions.ts';
import { BypassToggle } from './BypassToggle.tsx';

/** Categories whose nodes make something new each time: they get "Re-roll". */
const GENERATIVE = new Set(['image-generation', 'image-edit', 'video', 'icons']);

function PipelineOverview() {
  const problems = useEditorStore((s) => s.problems);
  const nodes = useEditorStore((s) => s.nodes);
  const catalogById = useEditorStore((s) => s.catalogById);
  const selectOnly = useEditorStore((s) => s.selectOnly);
  const inputs = nodes.filter((n) => catalogById.get(n.data.type)?.category === 'input');
  const outputs = nodes.filter((n) => n.data.type === 'output');
  return (
    <div className="pik-inspector-body" data-testid="pipeline-overview">
      <h3>Pipeline</h3>
      <p className="pik-muted">Select a node to edit its settings. Shift-drag to select several.</p>
      <div className="pik-kv">
        <span>Nodes</span>
        <b>{nodes.length}</b>
        <span>REST inputs</span>
        <b>{inputs.map((n) => String(n.data.params.name ?? n.id)).join(', ') || '—'}</b>
        <span>Outputs</span>
        <b>{outputs.map((n) => String(n.data.params.name ?? n.id)).join(', ') || '—'}</b>
      </div>
      <h4>
        Problems <span className={`pik-count${problems.length ? ' bad' : ''}`}>{problems.length}</span>
      </h4>
      {problems.length === 0 ? (
        <p className="pik-ok">No problems found.</p>
      ) : (
        <ul className="pik-problem-list" data-testid="problem-list">
          {problems.map((p, i) => (
            <li key={i}>
              {p.nodeId ? (
                <button type="button" className="pik-link" onClick={() => selectOnly(p.nodeId!)}>
                  {nodeTitle(
                    nodes.find((n) => n.id === p.nodeId),
                    catalogById,
                  )}
                </button>
              ) : null}
              {p.nodeId ? ': ' : ''}
              {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Inspector() {
  const selected = useEditorStore(useShallow((s) => s.nodes.filter((n) => n.selected)));
  const catalogById = useEditorStore((s) => s.catalogById);
  const edges = useEditorStore((s) => s.edges);
  const problems = useEditorStore((s) => s.problems);
  const updateParam = useEditorStore((s) => s.updateParam);
  const setLabel = useEditorStore((s) => s.setLabel);
  const deleteSelected = useEditorStore((s) => s.deleteSelected);

  if (selected.length === 0) return <PipelineOverview />;
  if (selected.length > 1) {
    return (
      <div className="pik-inspector-body">
        <h3>{selected.length} nodes selected</h3>
        <p className="pik-muted">Drag to move them together; Ctrl+C / Ctrl+V to copy; Del to delete.</p>
        <button type="button" className="pik-danger" onClick={deleteSelected}>
          Delete {selected.length} nodes
        </button>
      </div>
    );
  }
  const node = selected[0];
  const def = catalogById.get(node.data.type);
  if (!def) {
    return (
      <div className="pik-inspector-body">
        <h3>Unknown node</h3>
        <p className="pik-field-error">This pipeline uses “{node.data.type}”, which this server does not know.</p>
      </div>
    );
  }
  const links = edges.filter((e) => e.target === node.id);
  const nodeProblems = problems.filter((p) => p.nodeId === node.id);
  const fieldProblem = (field: string) => {
    const found = nodeProblems.find((p) => p.field === field);
    return found ? onNodeText(found.message) : undefined;
  };
  const otherProblems = nodeProblems.filter((p) => !p.field || !def.paramsSchema.properties || !(p.field in (def.paramsSchema.properties as object)));

  return (
    <div className="pik-inspector-body" data-testid="inspector" data-node-id={node.id}>
      <div className="pik-inspector-title">
        <span className="pik-dot" style={{ background: categoryColor(def.category) }} />
        <h3>{def.title}</h3>
      </div>
      <div className="pik-inspector-meta">
        <span>{categoryLabel(def.category)}</span>
        <span className="pik-mono">{node.id}</span>
        {def.docsUrl && (
          <a href={def.docsUrl} target="_blank" rel="noreferrer">
            API docs ↗
          </a>
        )}
      </div>
      <p className="pik-muted">{def.description}</p>
      {def.mode !== 'input' && def.mode !== 'output' && (
        <button
          type="button"
          className="pik-small"
          onClick={() => void runFromHere(node.id)}
          title="Run again with the last run's inputs: this node and what follows it run, the rest comes from the cache"
          data-testid="run-from-here"
        >
          Run from here ▶
        </button>
      )}
      {def.mode !== 'input' && def.mode !== 'output' && <BypassToggle nodeId={node.id} on={!!node.data.bypass} />}
      {GENERATIVE.has(def.category) && (
        <button
          type="button"
          className="pik-small"
          onClick={() => void rerollNode(node.id)}
          title="A new variation of this node (what follows it runs again, the rest comes from the cache)"
          data-testid="reroll"
        >
          Re-roll ⟳
        </button>
      )}
      <div className="pik-field">
        <div className="pik-field-head">
          <label className="pik-field-label">Label</label>
        </div>
        <input
          type="text"
          value={node.data.label ?? ''}
          placeholder={def.title}
          onChange={(e) => setLabel(node.id, e.target.value)}
          data-testid="node-label-input"
        />
      </div>
      {(def.inputs.length > 0 || def.outputs.length > 0) && (
        <div className="pik-inspector-ports">
          {def.inputs.map((p) => {
            const n = links.filter((e) => e.targetHandle === p.name).length;
            const limits = portLimitsText(p);
            return (
              <Fragment key={`in-${p.name}`}>
                <div>
                  <i style={{ background: PORT_COLORS[p.type] }} />
                  in <b>{p.label ?? p.name}</b> <span className="pik-muted">{p.type}{p.maxItems ? ` (≤${p.maxItems})` : ''}</span>
                  {p.required && <span className="pik-required">*</span>}
                  <span className={n ? 'pik-ok' : 'pik-muted'}> {n ? `${n} link${n > 1 ? 's' : ''}` : 'not linked'}</span>
                </div>
                {/* Checked when a run starts and before the request: an image outside them is refused, not sent. */}
                {limits && (
                  <div className="pik-port-limits" data-testid={`port-limits-${p.name}`}>
                    {p.type === 'image[]' ? 'Each image: ' : 'Image: '}
                    {limits}
                  </div>
                )}
              </Fragment>
            );
          })}
          {def.outputs.map((p) => (
            <div key={`out-${p.name}`}>
              <i style={{ background: PORT_COLORS[p.type] }} />
              out <b>{p.label ?? p.name}</b> <span className="pik-muted">{p.type}</span>
            </div>
          ))}
        </div>
      )}
      {otherProblems.length > 0 && (
        <ul className="pik-problem-list">
          {otherProblems.map((p, i) => (
            <li key={i}>{onNodeText(p.message)}</li>
          ))}
        </ul>
      )}
      <h4>Settings</h4>
      {schemaFields(def.paramsSchema).length === 0 && <p className="pik-muted">This node has no settings.</p>}
      <ParamsForm
        key={node.id}
        def={def}
        params={node.data.params}
        linkedPorts={new Set(links.map((e) => e.targetHandle ?? ''))}
        fieldProblem={fieldProblem}
        onChange={(key, v) => updateParam(node.id, key, v)}
      />
    </div>
  );
}

function ParamsForm({
  def,
  params,
  linkedPorts,
  fieldProblem,
  onChange,
}: {
  def: CatalogNode;
  params: Record<string, unknown>;
  linkedPorts: Set<string>;
  fieldProblem(field: string): string | undefined;
  onChange(key: string, value: unknown): void;
}) {
  const [open, setOpen] = useState(false);
  const groupId = useId();
  const fields = schemaFields(def.paramsSchema);
  // The catalog declares which fields wait behind "Advanced settings" (`advanced: true`, shared-fields.ts).
  const main = fields.filter((f) => !f.schema.advanced);
  const advanced = fields.filter((f) => f.schema.advanced);
  // A problem is never hidden: the group opens and stays open once fixed (closing it under the
  // user's cursor as the value turns valid would lose their place).
  const forced = advanced.some((f) => fieldProblem(f.key));
  useEffect(() => {
    if (forced) setOpen(true);
  }, [forced]);
  const shown = open || forced;
  // New nodes hold their defaults: only a value the user changed counts as set.
  const setCount = advanced.filter((f) => params[f.key] !== undefined && JSON.stringify(params[f.key]) !== JSON.stringify(f.schema.default)).length;
  const field = (f: (typeof fields)[number]) => {
    const linkedPort = def.inputs.find((p) => p.name === f.key && linkedPorts.has(p.name));
    return (
      <ParamField
        key={f.key}
        name={f.key}
        schema={f.schema}
        value={params[f.key]}
        required={f.required}
        serverProblem={fieldProblem(f.key)}
        linkedFrom={linkedPort ? linkedPort.label ?? linkedPort.name : undefined}
        onChange={(v) => onChange(f.key, v)}
        testId={`param-${f.key}`}
      />
    );
  };
  return (
    <div className="pik-form" data-testid="params-form">
      {main.map(field)}
      {advanced.length > 0 && (
        <>
          <button
            type="button"
            className="pik-advanced-toggle"
            aria-expanded={shown}
            aria-controls={groupId}
            onClick={() => setOpen(forced || !shown)}
            data-testid="advanced-toggle"
          >
            <span aria-hidden>{shown ? '▾' : '▸'}</span> Advanced settings ({advanced.length}
            {setCount ? `, ${setCount} set` : ''})
          </button>
          <div id={groupId} hidden={!shown} className="pik-advanced">
            {shown && advanced.map(field)}
          </div>
        </>
      )}
    </div>
  );
}
