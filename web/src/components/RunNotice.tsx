import type { NodeLive } from '../store/editor-store.ts';
import { quotaNotice, retryNotice } from '../lib/run-notice.ts';
import { useNow } from '../lib/use-now.ts';

/**
 * A node's transient wait, live: "retrying in 4 s (HTTP 503, attempt 2)" or "waiting for quota ·
 * until 12:00:05 (image-upscaler, per-second limit)". The region is always there (a live region
 * that appears with its text is often not read); the ticking seconds are hidden from screen
 * readers, which hear the wait once, with its clock time.
 */
export function RunNotice({ live, testId, className = '' }: { live: NodeLive; testId: string; className?: string }) {
  const waiting = live.status === 'waiting_for_quota' ? live.waiting : undefined;
  const retrying = live.retrying;
  const now = useNow(Boolean(retrying), 500);
  const text = retrying ? retryNotice(retrying, now) : waiting ? quotaNotice(waiting) : undefined;
  return (
    <div
      role="status"
      aria-live="polite"
      className={`pik-run-notice ${className}`}
      data-testid={testId}
      data-kind={retrying ? 'retrying' : waiting ? 'waiting' : undefined}
    >
      {text && (
        <>
          <span className="pik-run-notice-dot" aria-hidden />
          <span aria-hidden>{text.visible}</span>
          <span className="pik-sr-only">{text.spoken}</span>
        </>
      )}
    </div>
  );
}
