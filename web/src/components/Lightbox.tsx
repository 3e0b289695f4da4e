import { useEffect } from 'react';
import { useUiStore } from '../store/ui-store.ts';

export function Lightbox() {
  const lightbox = useUiStore((s) => s.lightbox);
  const close = () => useUiStore.getState().openLightbox(null);
  useEffect(() => {
    if (!lightbox) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [lightbox]);
  if (!lightbox) return null;
  return (
    <div className="pik-lightbox" onClick={close} data-testid="lightbox">
      <img src={lightbox.url} alt={lightbox.name} onClick={(e) => e.stopPropagation()} />
      <div className="pik-lightbox-bar" onClick={(e) => e.stopPropagation()}>
        <span className="pik-mono">{lightbox.name}</span>
        <a href={lightbox.url} download={lightbox.name.replace(/[^\w.-]+/g, '_')} data-testid="lightbox-download">
          Download
        </a>
        <a href={lightbox.url} target="_blank" rel="noreferrer">
          Open in a new tab
        </a>
        <button type="button" onClick={close}>
          Close
        </button>
      </div>
    </div>
  );
}
