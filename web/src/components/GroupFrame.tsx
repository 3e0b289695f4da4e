import { memo } from 'react';
import { NodeResizer, type NodeProps } from '@xyflow/react';
import { updateAnnotation, type AnnotationNode } from '../lib/annotations.ts';
import { AnnotationColors } from './AnnotationColors.tsx';

/**
 * A group: a titled, coloured frame behind nodes; dragging it by its title bar carries what is
 * inside. Its accessible name ("Group: <title>") is on React Flow's node wrapper (annotations.ts).
 */
function GroupFrameView({ id, data, selected }: NodeProps<AnnotationNode>) {
  const group = data.annotation;
  const color = group.color ?? '#1e4f6b';
  return (
    <div
      className="pik-group"
      style={{ borderColor: color, background: `${color}33` }}
      data-testid={`group-${id}`}
    >
      <NodeResizer isVisible={selected} minWidth={160} minHeight={100} lineClassName="pik-resize-line" handleClassName="pik-resize-handle" />
      <div className="pik-group-bar" style={{ background: color }}>
        <span className="pik-group-grip" aria-hidden title="Drag to move the group and what is inside it">
          ⠿
        </span>
        <input
          className="pik-group-title nodrag"
          aria-label="Group title"
          value={group.text}
          onChange={(e) => updateAnnotation(id, { text: e.target.value })}
          data-testid={`group-title-${id}`}
        />
        {selected && <AnnotationColors label="Group" value={group.color} onPick={(c) => updateAnnotation(id, { color: c })} />}
      </div>
    </div>
  );
}

export const GroupFrame = memo(GroupFrameView);
