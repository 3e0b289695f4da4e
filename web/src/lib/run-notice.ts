/**
 * What a node is waiting for right now, as words: a retry the engine is about to make
 * ("retrying in 4 s (HTTP 503, attempt 2)") or a Freepik limit it waits out
 * ("waiting for quota · until 12:00:05 (image-upscaler, per-second limit)"). Both are
 * transient: they say when the wait ends, never that something failed.
 */
import type { QuotaWaitView, RetryView } from '@pikflow/pipeline';

const WAIT_REASONS: Record<QuotaWaitView['reason'], string> = {
  per_second: 'per-second limit',
  daily: 'daily limit',
  concurrent: 'concurrent-task limit',
  retry_after: 'Freepik asked to wait',
};

/** The request being repeated, when it is not the submission itself. */
const RETRY_SUBJECTS: Record<RetryView['what'], string> = {
  submit: '',
  status: 'status check ',
  list: 'task lookup ',
  download: 'download ',
};

/** Whole seconds left until `iso` (at least 0). */
export function secondsUntil(iso: string, now: number): number {
  return Math.max(0, Math.ceil((Date.parse(iso) - now) / 1000));
}

/** "12 s", "2 min 5 s" or "3 h 20 min": a countdown that stays short. */
export function formatCountdown(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

/** A clock time, with seconds: the moment a wait ends. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

export interface NoticeText {
  /** What is shown (with the countdown). */
  visible: string;
  /** What a screen reader is told once: the same without the ticking seconds. */
  spoken: string;
}

export function retryNotice(retry: RetryView, now: number): NoticeText {
  const subject = RETRY_SUBJECTS[retry.what] ?? '';
  const left = secondsUntil(retry.retryAt, now);
  const why = `(${retry.reason}, attempt ${retry.attempt})`;
  return {
    visible: `${subject}retrying ${left > 0 ? `in ${formatCountdown(left)}` : 'now'} ${why}`,
    spoken: `${subject}retrying at ${clockTime(retry.retryAt)} ${why}`,
  };
}

/** The status pill of a node held back by a limit: "waiting for quota · 12 s", counting down to `until`. */
export function quotaCountdown(waiting: QuotaWaitView | undefined, now: number): string {
  if (!waiting) return 'waiting for quota';
  const left = secondsUntil(waiting.until, now);
  return left > 0 ? `waiting for quota · ${formatCountdown(left)}` : 'waiting for quota · any moment';
}

export function quotaNotice(waiting: QuotaWaitView): NoticeText {
  const text = `waiting for quota · until ${clockTime(waiting.until)} (${waiting.service}, ${WAIT_REASONS[waiting.reason] ?? waiting.reason})`;
  return { visible: text, spoken: text };
}
