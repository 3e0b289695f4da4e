import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MouseEvent as ReactMouseEvent } from 'react';
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  ViewportPortal,
  useConnection,
  useReactFlow,
  type Connection,
  type Edge,
  type FinalConnectionState,
  type IsValidConnection,
  type NodeChange,
  type NodeTypes,
  type XYPosition,
} from '@xyflow/react';
import type { PortType } from '@pikflow/catalog';
import { PikNode } from './PikNode.tsx';
import { StickyNote } from './StickyNote.tsx';
import { GroupFrame } from './GroupFrame.tsx';
import {
  annotationNodes,
  applyAnnotationChanges,
  dragGroup,
  endGroupDrag,
  startGroupDrag,
  useAnnotationSelection,
  type AnnotationNode,
} from '../lib/annotations.ts';
import { NodeSearchPopup, type PendingLink } from './NodeSearchPopup.tsx';
import { useEditorStore } from '../store/editor-store.ts';
import { toast, useUiStore } from '../store/ui-store.ts';
import { connectionRefusal } from '../lib/connection-rules.ts';
import { PORT_COLORS, categoryColor } from '../lib/catalog-display.ts';
import type { PikEdge, PikNode as PikNodeType } from '../lib/graph-types.ts';
import { useShortcuts } from '../lib/use-shortcuts.ts';
import { dropFiles } from '../lib/canvas-files.ts';
import { TemplateGallery } from './TemplateGallery.tsx';

export const PALETTE_MIME = 'application/x-pikflow-node';
/** A node's width on the canvas (nodes.css .pik-node). */
const NODE_WIDTH = 250;

// Module level so React Flow never sees a new object and re-mounts nodes.
const nodeTypes: NodeTypes = { pik: PikNode, pikNote: StickyNote, pikGroup: GroupFrame };

type CanvasNode = PikNodeType | AnnotationNode;

function refusalFor(c: Connection | Edge): string | null {
  const s = useEditorStore.getState();
  return connectionRefusal(c, s.nodes, s.edges, s.catalogById);
}

const isValidConnection: IsValidConnection = (c) => refusalFor(c) === null;

/** While dragging a link over a port it may not use, say why next to the cursor. */
function ConnectionHint() {
  const connection = useConnection();
  if (!connection.inProgress || connection.isValid !== false || !connection.toHandle) return null;
  const from = connection.fromHandle;
  const to = connection.toHandle;
  const [src, tgt] = from.type === 'source' ? [from, to] : [to, from];
  const reason = refusalFor({ source: src.nodeId, sourceHandle: src.id ?? null, target: tgt.nodeId, targetHandle: tgt.id ?? null });
  if (!reason) return null;
  return (
    <ViewportPortal>
      <div
        className="pik-connection-hint"
        data-testid="connection-hint"
        style={{ transform: `translate(${connection.to.x + 14}px, ${connection.to.y + 14}px)` }}
      >
        {reason}
      </div>
    </ViewportPortal>
  );
}

/**
 * Results make nodes taller (thumbnails, players): push the nodes below down so none
 * overlaps, top to bottom so a push carries on to what is under it.
 */
function makeRoom() {
  const GAP = 16;
  const rects = useEditorStore
    .getState()
    .nodes.map((n) => ({ id: n.id, x: n.position.x, y: n.position.y, w: n.measured?.width ?? NODE_WIDTH, h: n.measured?.height ?? 100 }))
    .sort((a, b) => a.y - b.y || a.x - b.x);
  const moved: Record<string, XYPosition> = {};
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i];
      const b = rects[j];
      const side = a.x < b.x + b.w && b.x < a.x + a.w;
      if (side && b.y >= a.y && b.y < a.y + a.h + GAP) {
        b.y = a.y + a.h + GAP;
        moved[b.id] = { x: b.x, y: b.y };
      }
    }
    rects.sort((p, q) => p.y - q.y || p.x - q.x);
  }
  if (Object.keys(moved).length) useEditorStore.getState().applyPositions(moved);
}

let roomTimer: ReturnType<typeof setTimeout> | undefined;

function MiniMapColor(node: CanvasNode): string {
  if (node.type !== 'pik') return node.data.annotation.color ?? '#3a3d47';
  const def = useEditorStore.getState().catalogById.get(node.data.type);
  return def ? categoryColor(def.category) : '#555';
}

export function Canvas() {
  const nodes = useEditorStore((s) => s.nodes);
  const annotations = useEditorStore((s) => s.annotations);
  const annotationSelection = useAnnotationSelection((s) => s.ids);
  // Notes and groups first: React Flow draws them under the pipeline's nodes.
  const canvasNodes = useMemo<CanvasNode[]>(() => [...annotationNodes(annotations, annotationSelection), ...nodes], [annotations, annotationSelection, nodes]);
  const edges = useEditorStore((s) => s.edges);
  const catalogById = useEditorStore((s) => s.catalogById);
  const run = useEditorStore((s) => s.run);
  const problems = useEditorStore((s) => s.problems);
  const onNodesChange = useEditorStore((s) => s.onNodesChange);
  const onEdgesChange = useEditorStore((s) => s.onEdgesChange);
  const connect = useEditorStore((s) => s.connect);
  const addNode = useEditorStore((s) => s.addNode);
  const commit = useEditorStore((s) => s.commit);
  const flow = useReactFlow<PikNodeType, PikEdge>();
  const wrapper = useRef<HTMLDivElement>(null);
  const [search, setSearch] = useState<{ screen: XYPosition; flow: XYPosition; link?: PendingLink } | null>(null);
  const mouse = useRef<XYPosition>({ x: 0, y: 0 });

  // A loaded pipeline is fitted into view once React Flow has measured its nodes;
  // nodes added by hand never move the camera.
  const loadSeq = useEditorStore((s) => s.loadSeq);
  useEffect(() => {
    if (!loadSeq) return;
    const t = setTimeout(() => void flow.fitView({ padding: 0.15, maxZoom: 1 }), 60);
    return () => clearTimeout(t);
  }, [loadSeq, flow]);

  useShortcuts({
    mouseFlowPosition: () => flow.screenToFlowPosition(mouse.current),
    openSearch: () => {
      const rect = wrapper.current?.getBoundingClientRect();
      if (!rect) return;
      const screen = { x: rect.width / 2 - 160, y: rect.height / 3 };
      setSearch({ screen, flow: flow.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 3 }) });
    },
  });

  // Edges drawn in their port's colour, animated while data flows through them.
  const shownEdges = useMemo(() => {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const badEdges = new Set(problems.filter((p) => p.edgeId).map((p) => p.edgeId));
    return edges.map((e) => {
      const src = byId.get(e.source);
      const type = src ? catalogById.get(src.data.type)?.outputs.find((p) => p.name === e.sourceHandle)?.type : undefined;
      const color = PORT_COLORS[(type ?? 'any') as PortType];
      // A bypassed node hands its inputs on: for the links it is as done as a succeeded one.
      const done = (status: string | undefined) => (status === 'bypassed' ? 'succeeded' : status);
      const srcLive = done(run?.nodes[e.source]?.status);
      const tgtLive = done(run?.nodes[e.target]?.status);
      const flowing =
        srcLive === 'succeeded' && (tgtLive === 'queued' || tgtLive === 'running' || tgtLive === 'submitted');
      const carried = srcLive === 'succeeded' && tgtLive === 'succeeded';
      const classes = [flowing ? 'pik-edge-flowing' : '', carried ? 'pik-edge-done' : '', badEdges.has(e.id) ? 'pik-edge-invalid' : '']
        .filter(Boolean)
        .join(' ');
      return {
        ...e,
        animated: flowing,
        className: classes || undefined,
        style: { stroke: badEdges.has(e.id) ? '#f85149' : color, strokeWidth: e.selected ? 3 : 2 },
      };
    });
  }, [edges, nodes, catalogById, run, problems]);

  /** Brings a new node into view if it landed (partly) outside, keeping the node it links to. */
  const followNode = useCallback(
    (id: string, linkedTo: string) => {
      setTimeout(() => {
        const el = wrapper.current?.querySelector(`.react-flow__node[data-id="${CSS.escape(id)}"]`);
        const view = wrapper.current?.getBoundingClientRect();
        if (!el || !view) return;
        const r = el.getBoundingClientRect();
        const inside = r.left >= view.left && r.right <= view.right && r.top >= view.top && r.bottom <= view.bottom;
        if (!inside) void flow.fitView({ nodes: [{ id }, { id: linkedTo }], padding: 0.25, maxZoom: flow.getZoom(), duration: 250 });
      }, 80);
    },
    [flow],
  );

  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid || !state.fromHandle) return;
      if (state.toHandle) {
        const from = state.fromHandle;
        const to = state.toHandle;
        const [src, tgt] = from.type === 'source' ? [from, to] : [to, from];
        const reason = refusalFor({ source: src.nodeId, sourceHandle: src.id ?? null, target: tgt.nodeId, targetHandle: tgt.id ?? null });
        if (reason) toast('warning', reason, 'Link refused');
        return;
      }
      // Dropped on empty canvas: offer the nodes that fit, like ComfyUI and n8n do.
      const target = event.target as Element | null;
      if (!target?.classList.contains('react-flow__pane')) return;
      const point = 'changedTouches' in event ? event.changedTouches[0] : event;
      const rect = wrapper.current!.getBoundingClientRect();
      setSearch({
        screen: { x: point.clientX - rect.left, y: point.clientY - rect.top },
        flow: flow.screenToFlowPosition({ x: point.clientX, y: point.clientY }),
        link: {
          nodeId: state.fromHandle.nodeId,
          handleId: state.fromHandle.id ?? '',
          side: state.fromHandle.type,
        },
      });
    },
    [flow],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      const position = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      const files = [...event.dataTransfer.files];
      if (files.length) {
        event.preventDefault();
        void dropFiles(files, { x: position.x - 110, y: position.y - 30 });
        return;
      }
      const type = event.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      event.preventDefault();
      addNode(type, { x: position.x - 110, y: position.y - 30 });
    },
    [flow, addNode],
  );

  const onDoubleClick = useCallback(
    (event: ReactMouseEvent) => {
      if (!(event.target as Element).classList.contains('react-flow__pane')) return;
      const rect = wrapper.current!.getBoundingClientRect();
      setSearch({
        screen: { x: event.clientX - rect.left, y: event.clientY - rect.top },
        flow: flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }),
      });
    },
    [flow],
  );

  return (
    <div
      className="pik-canvas"
      ref={wrapper}
      data-testid="canvas"
      tabIndex={0}
      role="region"
      aria-label="Canvas: press Tab to search nodes to add"
      onPointerDownCapture={(e) => {
        // React Flow stops the pane from taking focus; the canvas keys need it.
        if ((e.target as Element).classList.contains('react-flow__pane')) wrapper.current?.focus({ preventScroll: true });
      }}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(PALETTE_MIME) || e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          e.dataTransfer.dropEffect = 'copy';
        }
      }}
      onDrop={onDrop}
      onDoubleClick={onDoubleClick}
      onMouseMove={(e) => (mouse.current = { x: e.clientX, y: e.clientY })}
    >
      <ReactFlow<CanvasNode, PikEdge>
        nodes={canvasNodes}
        edges={shownEdges}
        nodeTypes={nodeTypes}
        onNodesChange={(all) => {
          const changes = applyAnnotationChanges(all) as NodeChange<PikNodeType>[];
          onNodesChange(changes);
          // Only for results arriving during or after a run; a hand-made layout is the user's.
          if (useEditorStore.getState().run && changes.some((c) => c.type === 'dimensions')) {
            clearTimeout(roomTimer);
            roomTimer = setTimeout(makeRoom, 120);
          }
        }}
        onEdgesChange={onEdgesChange}
        onConnect={connect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onNodeClick={(_, node) => node.type === 'pik' && useUiStore.getState().setRightTab('inspect')}
        onNodeDragStart={(_, node) => {
          commit();
          startGroupDrag(node);
        }}
        onNodeDrag={(_, node) => dragGroup(node)}
        onNodeDragStop={endGroupDrag}
        onSelectionDragStart={() => commit()}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Meta', 'Control']}
        zoomOnDoubleClick={false}
        colorMode="dark"
        minZoom={0.15}
        maxZoom={2.5}
        proOptions={{ hideAttribution: true }}
        defaultEdgeOptions={{ type: 'default' }}
        connectionRadius={24}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#3a3d47" />
        <Controls position="bottom-left" showInteractive={false} />
        <MiniMap
          position="bottom-right"
          pannable
          zoomable
          nodeColor={MiniMapColor}
          maskColor="rgba(12,13,16,0.7)"
          style={{ background: '#1b1d22' }}
        />
        <ConnectionHint />
      </ReactFlow>
      {nodes.length === 0 && (
        <div className="pik-empty-hint" data-testid="empty-hint">
          <h2>Start building</h2>
          <p>
            Drag a node from the palette, or <b>double-click</b> the canvas (or press <kbd>Tab</kbd>) to search.
            Drop a pipeline JSON or an image here, or paste nodes copied from another tab.
          </p>
          <p>Connect outputs (right) to inputs (left) of the same colour.</p>
          <TemplateGallery />
        </div>
      )}
      {search && (
        <NodeSearchPopup
          screen={search.screen}
          link={search.link}
          onClose={() => setSearch(null)}
          onPick={(type, port) => {
            // From a dropped link the node goes beside it: its input side at the drop point when the
            // link came out of an output, its output side there when it came from an input.
            const at = search.link
              ? { x: search.link.side === 'source' ? search.flow.x + 16 : search.flow.x - NODE_WIDTH - 16, y: search.flow.y - 44 }
              : search.flow;
            const id = addNode(type, at);
            if (id && search.link) followNode(id, search.link.nodeId);
            if (id && search.link && port) {
              const l = search.link;
              const link: Connection =
                l.side === 'source'
                  ? { source: l.nodeId, sourceHandle: l.handleId, target: id, targetHandle: port }
                  : { source: id, sourceHandle: port, target: l.nodeId, targetHandle: l.handleId };
              const reason = refusalFor(link);
              if (reason) toast('warning', reason, 'Link refused');
              else connect(link);
            }
            setSearch(null);
          }}
        />
      )}
    </div>
  );
}
