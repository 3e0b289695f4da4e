import { useMemo, useState, type DragEvent } from 'react';
import { useReactFlow } from '@xyflow/react';
import type { CatalogNode } from '@pikflow/catalog';
import { useEditorStore } from '../store/editor-store.ts';
import { CATEGORY_ORDER, PORT_COLORS, categoryColor, categoryLabel } from '../lib/catalog-display.ts';
import { searchNodes } from '../lib/node-search.ts';
import { PALETTE_MIME } from './Canvas.tsx';
import { addGroup, addNote } from '../lib/annotations.ts';

/** The first place near `start` where a new node would not cover another one. */
function freeSpot(start: { x: number; y: number }, def: CatalogNode) {
  // Roughly how tall the new node will be: header, port rows, summary lines.
  const height = 60 + 22 * Math.max(def.inputs.length, def.outputs.length, 1) + 20 * def.summaryParams.length;
  const rects = useEditorStore.getState().nodes.map((n) => ({
    x: n.position.x,
    y: n.position.y,
    w: n.measured?.width ?? 250,
    h: n.measured?.height ?? 120,
  }));
  const free = (x: number, y: number) =>
    rects.every((r) => x + 250 + 20 <= r.x || x >= r.x + r.w + 20 || y + height + 20 <= r.y || y >= r.y + r.h + 20);
  for (let ring = 0; ring < 12; ring++) {
    for (let dx = -ring; dx <= ring; dx++) {
      for (let dy = -ring; dy <= ring; dy++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
        const x = start.x + dx * 140;
        const y = start.y + dy * 80;
        if (free(x, y)) return { x, y };
      }
    }
  }
  return start;
}

export function Palette() {
  const catalog = useEditorStore((s) => s.catalog);
  const addNode = useEditorStore((s) => s.addNode);
  const flow = useReactFlow();
  const [query, setQuery] = useState('');
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());

  const groups = useMemo(() => {
    const byCat = new Map<string, CatalogNode[]>();
    for (const def of searchNodes(catalog, query)) {
      byCat.set(def.category, [...(byCat.get(def.category) ?? []), def]);
    }
    const order = [...CATEGORY_ORDER, ...[...byCat.keys()].filter((c) => !(CATEGORY_ORDER as string[]).includes(c))];
    return order.filter((c) => byCat.has(c)).map((c) => ({ category: c, nodes: byCat.get(c)! }));
  }, [catalog, query]);

  const viewCenter = (dx = 0, dy = 0) => {
    const pane = document.querySelector('.pik-canvas')?.getBoundingClientRect();
    const center = pane ? flow.screenToFlowPosition({ x: pane.left + pane.width / 2, y: pane.top + pane.height / 2 }) : { x: 0, y: 0 };
    return { x: center.x + dx, y: center.y + dy };
  };

  // Click (or Enter) adds the node in the middle of what the user is looking at.
  const addAtCenter = (type: string) => {
    const center = viewCenter();
    const def = useEditorStore.getState().catalogById.get(type);
    if (def) addNode(type, freeSpot({ x: center.x - 125, y: center.y - 60 }, def));
  };

  const onDragStart = (e: DragEvent, type: string) => {
    e.dataTransfer.setData(PALETTE_MIME, type);
    e.dataTransfer.effectAllowed = 'copy';
  };

  return (
    <aside className="pik-palette" aria-label="Nodes" data-testid="palette">
      <div className="pik-palette-search">
        <input
          type="search"
          placeholder="Search nodes…"
          aria-label="Search nodes"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="palette-search"
        />
      </div>
      <div className="pik-palette-annotate" role="group" aria-label="Annotate">
        <button type="button" onClick={() => addNote(viewCenter(-110, -70))} title="A sticky note (Shift+N)" data-testid="add-note">
          + Note
        </button>
        <button type="button" onClick={() => addGroup(viewCenter(-260, -160))} title="A group frame around the selected nodes (Ctrl+G)" data-testid="add-group">
          + Group
        </button>
      </div>
      <div className="pik-palette-groups">
        {catalog.length === 0 && <p className="pik-muted pik-pad">Loading the node catalog…</p>}
        {catalog.length > 0 && groups.length === 0 && <p className="pik-muted pik-pad">No node matches “{query}”.</p>}
        {groups.map((g) => {
          const closed = collapsed.has(g.category) && !query;
          return (
            <section key={g.category} className="pik-palette-group" data-testid={`palette-group-${g.category}`}>
              <button
                type="button"
                className="pik-palette-group-title"
                aria-expanded={!closed}
                aria-controls={`palette-group-${g.category}-items`}
                data-testid={`palette-group-toggle-${g.category}`}
                onClick={() =>
                  setCollapsed((c) => {
                    const next = new Set(c);
                    if (next.has(g.category)) next.delete(g.category);
                    else next.add(g.category);
                    return next;
                  })
                }
              >
                <span className="pik-caret" aria-hidden>
                  {closed ? '▸' : '▾'}
                </span>
                {categoryLabel(g.category)}
                <span className="pik-count">{g.nodes.length}</span>
              </button>
              <div id={`palette-group-${g.category}-items`} hidden={closed}>
              {!closed &&
                g.nodes.map((def) => (
                  <div
                    key={def.id}
                    className="pik-palette-item"
                    draggable
                    tabIndex={0}
                    role="button"
                    title={`${def.description}\n\nDrag onto the canvas, or click to add.`}
                    onDragStart={(e) => onDragStart(e, def.id)}
                    onClick={() => addAtCenter(def.id)}
                    onKeyDown={(e) => {
                      // Enter and Space like a button; Ctrl+Enter is Run, not "add this node".
                      if ((e.key === 'Enter' || e.key === ' ') && !e.ctrlKey && !e.metaKey && !e.altKey) {
                        e.preventDefault();
                        addAtCenter(def.id);
                      }
                    }}
                    data-testid={`palette-item-${def.id}`}
                  >
                    <span className="pik-palette-accent" style={{ background: categoryColor(def.category) }} />
                    <span className="pik-palette-text">
                      <span className="pik-palette-name">{def.title}</span>
                      <span className="pik-palette-ports">
                        {def.inputs.map((p) => (
                          <i key={`i${p.name}`} style={{ background: PORT_COLORS[p.type] }} title={`in ${p.name}: ${p.type}`} />
                        ))}
                        {def.inputs.length > 0 && def.outputs.length > 0 && <span className="pik-arrow">→</span>}
                        {def.outputs.map((p) => (
                          <i key={`o${p.name}`} style={{ background: PORT_COLORS[p.type] }} title={`out ${p.name}: ${p.type}`} />
                        ))}
                      </span>
                    </span>
                  </div>
                ))}
              </div>
            </section>
          );
        })}
      </div>
      <div className="pik-legend">
        {Object.entries(PORT_COLORS).map(([type, color]) => (
          <span key={type}>
            <i style={{ background: color }} />
            {type}
          </span>
        ))}
      </div>
    </aside>
  );
}
