import { useUiStore } from '../store/ui-store.ts';

export function Toasts() {
  const toasts = useUiStore((s) => s.toasts);
  const dismiss = useUiStore((s) => s.dismiss);
  return (
    <div className="pik-toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`pik-toast pik-toast-${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} data-testid={`toast-${t.kind}`}>
          <div>
            {t.title && <b>{t.title}</b>}
            <span>{t.message}</span>
          </div>
          <button type="button" className="pik-icon-button" onClick={() => dismiss(t.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
