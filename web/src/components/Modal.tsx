import { useEffect, useId, useRef, type ReactNode } from 'react';
import { useDialogFocus } from '../lib/use-dialog-focus.ts';

/**
 * Every dialog of the editor: a titled modal that takes the focus, keeps Tab inside,
 * closes on Escape or a click beside it, and gives the focus back when it closes.
 */
export function Modal({
  title,
  onClose,
  children,
  footer,
  wide,
  testId,
}: {
  title: ReactNode;
  /** Without it the dialog can only be left through its own buttons. */
  onClose?(): void;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
  testId: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useDialogFocus(box);
  const closeRef = useRef(onClose);
  closeRef.current = onClose;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && closeRef.current?.();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="pik-modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose?.()}>
      <div
        ref={box}
        className={`pik-modal${wide ? ' pik-modal-wide' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        data-testid={testId}
      >
        <header>
          <h2 id={titleId}>{title}</h2>
          {onClose && (
            <button type="button" className="pik-icon-button" onClick={onClose} aria-label="Close" data-testid={`${testId}-close`}>
              ×
            </button>
          )}
        </header>
        {children}
        {footer && <footer>{footer}</footer>}
      </div>
    </div>
  );
}
