import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { CatalogNode, PortType } from '@pikflow/catalog';
// The port rules alone: the catalog's node definitions (and zod) stay out of the first screen.
import { canConnect } from '@pikflow/catalog/ports';
import { useEditorStore } from '../store/editor-store.ts';
import { PORT_COLORS, categoryColor, categoryLabel } from '../lib/catalog-display.ts';
import { searchNodes } from '../lib/node-search.ts';

export interface PendingLink {
  nodeId: string;
  handleId: string;
  /** Which side the drag started from: an output (source) or an input (target). */
  side: 'source' | 'target';
}

interface Props {
  screen: { x: number; y: number };
  link?: PendingLink;
  onClose(): void;
  onPick(type: string, port?: string): void;
}

/** The port of `def` that fits the pending link, if any. */
function fittingPort(def: CatalogNode, link: PendingLink | undefined, linkType: PortType | undefined): string | undefined {
  if (!link || !linkType) return undefined;
  if (link.side === 'source') return def.inputs.find((p) => canConnect(linkType, p.type))?.name;
  return def.outputs.find((p) => canConnect(p.type, linkType))?.name;
}

export function NodeSearchPopup({ screen, link, onClose, onPick }: Props) {
  const catalog = useEditorStore((s) => s.catalog);
  const linkType = useEditorStore((s) => {
    if (!link) return undefined;
    const node = s.nodes.find((n) => n.id === link.nodeId);
    const def = node && s.catalogById.get(node.data.type);
    const ports = link.side === 'source' ? def?.outputs : def?.inputs;
    return ports?.find((p) => p.name === link.handleId)?.type;
  });
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const listId = useId();

  useEffect(() => input.current?.focus(), []);
  useEffect(() => {
    const away = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) onClose();
    };
    window.addEventListener('mousedown', away);
    return () => window.removeEventListener('mousedown', away);
  }, [onClose]);

  const results = useMemo(
    () =>
      searchNodes(catalog, query)
        .map((d) => ({ def: d, port: fittingPort(d, link, linkType) }))
        .filter((r) => !link || r.port),
    [catalog, query, link, linkType],
  );

  const highlighted = results[active];

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') onClose();
    else if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, results.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter' && results[active]) onPick(results[active].def.id, results[active].port);
    e.stopPropagation();
  };

  return (
    <div
      ref={box}
      className="pik-search-popup"
      style={{ left: screen.x, top: screen.y }}
      data-testid="node-search"
      onDoubleClick={(e) => e.stopPropagation()}
    >
      <input
        ref={input}
        type="text"
        value={query}
        placeholder={link ? `Nodes that take a ${linkType ?? ''}…` : 'Search nodes… (typos and shorthands like txt2img work)'}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
        onKeyDown={onKey}
        role="combobox"
        aria-label="Search nodes to add"
        aria-expanded="true"
        aria-controls={listId}
        aria-activedescendant={highlighted ? `${listId}-${highlighted.def.id}` : undefined}
        data-testid="node-search-input"
      />
      <div className="pik-search-body">
        <ul id={listId} role="listbox" aria-label="Matching nodes">
          {results.length === 0 && <li className="pik-search-empty">No node matches “{query}”</li>}
          {results.slice(0, 40).map((r, i) => (
            <li
              key={r.def.id}
              id={`${listId}-${r.def.id}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : ''}
              onMouseEnter={() => setActive(i)}
              onClick={() => onPick(r.def.id, r.port)}
              data-testid={`node-search-item-${r.def.id}`}
            >
              <span className="pik-dot" style={{ background: categoryColor(r.def.category) }} />
              <span className="pik-search-title">{r.def.title}</span>
              <span className="pik-search-cat">{categoryLabel(r.def.category)}</span>
            </li>
          ))}
        </ul>
        {highlighted && (
          <aside className="pik-search-detail" data-testid="node-search-detail" aria-live="polite">
            <b>{highlighted.def.title}</b>
            <p>{highlighted.def.description}</p>
            <PortList title="Inputs" ports={highlighted.def.inputs} />
            <PortList title="Outputs" ports={highlighted.def.outputs} />
          </aside>
        )}
      </div>
    </div>
  );
}

function PortList({ title, ports }: { title: string; ports: CatalogNode['inputs'] | CatalogNode['outputs'] }) {
  if (!ports.length) return null;
  return (
    <div className="pik-search-ports">
      <span className="pik-muted">{title}</span>
      <ul>
        {ports.map((p) => (
          <li key={p.name}>
            <i style={{ background: PORT_COLORS[p.type] }} aria-hidden />
            {p.label ?? p.name} <span className="pik-muted">{p.type}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
