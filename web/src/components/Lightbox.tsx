import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { useUiStore, type LightboxItem } from '../store/ui-store.ts';
import { useDialogFocus } from '../lib/use-dialog-focus.ts';
import { downloadHref, posterUrl } from '../lib/run-values.ts';

/** Drag to pan a scrolled view, like a hand tool. */
function usePan() {
  const drag = useRef<{ x: number; y: number; left: number; top: number } | null>(null);
  return {
    onPointerDown: (e: ReactPointerEvent<HTMLDivElement>) => {
      const el = e.currentTarget;
      drag.current = { x: e.clientX, y: e.clientY, left: el.scrollLeft, top: el.scrollTop };
      el.setPointerCapture(e.pointerId);
    },
    onPointerMove: (e: ReactPointerEvent<HTMLDivElement>) => {
      if (!drag.current) return;
      const el = e.currentTarget;
      el.scrollLeft = drag.current.left - (e.clientX - drag.current.x);
      el.scrollTop = drag.current.top - (e.clientY - drag.current.y);
    },
    onPointerUp: () => (drag.current = null),
  };
}

function LightboxView({ item }: { item: LightboxItem }) {
  const close = () => useUiStore.getState().openLightbox(null);
  const box = useRef<HTMLDivElement>(null);
  const [actual, setActual] = useState(false);
  const [compare, setCompare] = useState(false);
  const [split, setSplit] = useState(50);
  const pan = usePan();
  useDialogFocus(box);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const isVideo = item.kind === 'video';
  const download = item.download ?? item.name.replace(/[^\w.-]+/g, '_');
  const view = isVideo ? (
    <video src={posterUrl(item.url)} controls autoPlay playsInline className="pik-lightbox-media" aria-label={item.name} data-testid="lightbox-video" />
  ) : compare && item.before ? (
    <div className="pik-compare" data-testid="lightbox-compare">
      <img src={item.url} alt={`${item.name} (after)`} className={actual ? 'pik-actual' : ''} draggable={false} />
      <img
        src={item.before.url}
        alt={`${item.name} (before)`}
        className={`pik-compare-before ${actual ? 'pik-actual' : ''}`}
        style={{ clipPath: `inset(0 ${100 - split}% 0 0)` }}
        draggable={false}
        data-testid="lightbox-before"
      />
      <span className="pik-compare-line" style={{ left: `${split}%` }} aria-hidden />
    </div>
  ) : (
    <img src={item.url} alt={item.name} className={actual ? 'pik-actual' : ''} draggable={false} data-testid="lightbox-image" />
  );

  return (
    <div className="pik-lightbox" onClick={(e) => e.target === e.currentTarget && close()} data-testid="lightbox">
      <div
        ref={box}
        className="pik-lightbox-dialog"
        role="dialog"
        aria-modal="true"
        aria-label={`Full size: ${item.name}`}
        tabIndex={-1}
      >
        <div
          className={`pik-lightbox-stage ${actual ? 'pik-zoomed' : ''}`}
          data-testid="lightbox-stage"
          data-zoom={actual ? '1:1' : 'fit'}
          {...(actual ? pan : {})}
        >
          {view}
        </div>
        <div className="pik-lightbox-bar">
          <span className="pik-mono pik-ellipsis">{item.name}</span>
          {!isVideo && (
            <button type="button" onClick={() => setActual((a) => !a)} aria-pressed={actual} data-testid="lightbox-zoom">
              {actual ? 'Fit to window' : 'Actual size (1:1)'}
            </button>
          )}
          {item.before && !isVideo && (
            <button type="button" onClick={() => setCompare((c) => !c)} aria-pressed={compare} data-testid="lightbox-compare-toggle">
              Before / after
            </button>
          )}
          {compare && item.before && !isVideo && (
            <label className="pik-compare-slider">
              <span>Before</span>
              <input
                type="range"
                min={0}
                max={100}
                value={split}
                onChange={(e) => setSplit(Number(e.target.value))}
                aria-label="Before and after split (percent of the width showing before)"
                data-testid="lightbox-split"
              />
              <span>After</span>
            </label>
          )}
          <a href={downloadHref(item.url, download)} download={download} data-testid="lightbox-download">
            Download
          </a>
          <a href={item.url} target="_blank" rel="noreferrer">
            Open in a new tab
          </a>
          <button type="button" onClick={close} data-testid="lightbox-close">
            Close
          </button>
        </div>
      </div>
    </div>
  );
}

export function Lightbox() {
  const lightbox = useUiStore((s) => s.lightbox);
  if (!lightbox) return null;
  return <LightboxView key={lightbox.url} item={lightbox} />;
}
