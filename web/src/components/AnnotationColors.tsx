import { ANNOTATION_COLORS } from '../lib/annotations.ts';

/** Colour swatches for a note or group (shown while it is selected). */
export function AnnotationColors({ value, onPick, label }: { value?: string; onPick(color: string): void; label: string }) {
  return (
    <div className="pik-annotation-colors nodrag" role="radiogroup" aria-label={`${label} colour`}>
      {ANNOTATION_COLORS.map((c) => (
        <button
          key={c}
          type="button"
          role="radio"
          aria-checked={value === c}
          aria-label={`Colour ${c}`}
          className="pik-annotation-swatch"
          style={{ background: c }}
          onClick={() => onPick(c)}
        />
      ))}
    </div>
  );
}
