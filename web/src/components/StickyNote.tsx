import { memo } from 'react';
import { NodeResizer, type NodeProps } from '@xyflow/react';
import { updateAnnotation, type AnnotationNode } from '../lib/annotations.ts';
import { AnnotationColors } from './AnnotationColors.tsx';

/** A sticky note: free text on the canvas, saved in the document, never run. */
function StickyNoteView({ id, data, selected }: NodeProps<AnnotationNode>) {
  const note = data.annotation;
  return (
    <div className="pik-note" style={{ background: note.color }} data-testid={`note-${id}`}>
      <NodeResizer isVisible={selected} minWidth={120} minHeight={60} lineClassName="pik-resize-line" handleClassName="pik-resize-handle" />
      <textarea
        className="pik-note-text nodrag nowheel"
        aria-label="Note text"
        placeholder="Write a note…"
        value={note.text}
        onChange={(e) => updateAnnotation(id, { text: e.target.value })}
        data-testid={`note-text-${id}`}
      />
      {selected && <AnnotationColors label="Note" value={note.color} onPick={(color) => updateAnnotation(id, { color })} />}
    </div>
  );
}

export const StickyNote = memo(StickyNoteView);
