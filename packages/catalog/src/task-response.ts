/**
 * Freepik's task responses come in several shapes (see the endpoint reference):
 * the standard `{data:{task_id,status,generated}}` envelope, the flat
 * `{task_id,task_status,generated}` of style transfer, webhook bodies without
 * `data`, and `generated` lists holding URLs, base64 strings or `{url}` objects.
 * This is the one place that reads them.
 */
export const TASK_STATUSES = ['CREATED', 'IN_PROGRESS', 'COMPLETED', 'FAILED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface TaskSnapshot {
  taskId: string | undefined;
  status: TaskStatus;
  /** Result files as http(s) URLs or data URIs; anything else is dropped. */
  generated: string[];
  /** The response as received, for extractors that need other fields. */
  raw: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function normaliseStatus(value: unknown): TaskStatus {
  const s = typeof value === 'string' ? value.toUpperCase() : '';
  if (s === 'COMPLETED' || s === 'FAILED' || s === 'CREATED' || s === 'IN_PROGRESS') return s;
  if (s === 'PROCESSING' || s === 'RUNNING' || s === 'PENDING') return 'IN_PROGRESS';
  if (s === 'CANCELLED' || s === 'CANCELED' || s === 'ERROR') return 'FAILED';
  return 'IN_PROGRESS';
}

const BASE64_IMAGE = /^[A-Za-z0-9+/]{64,}={0,2}$/;

/** One `generated` entry as a usable file reference, or null when it is not one. */
export function readGeneratedEntry(entry: unknown): string | null {
  const value = isRecord(entry) ? entry.url : entry;
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (/^https?:\/\//i.test(s) || /^data:[\w.+/-]+;base64,/i.test(s)) return s;
  // Imagen3 returns bare base64; PNG base64 starts with iVBOR, JPEG with /9j/.
  if (BASE64_IMAGE.test(s.slice(0, 4096).replace(/\s/g, ''))) {
    const mime = s.startsWith('/9j/') ? 'image/jpeg' : s.startsWith('UklGR') ? 'image/webp' : 'image/png';
    return `data:${mime};base64,${s.replace(/\s/g, '')}`;
  }
  return null;
}

export function readTask(body: unknown): TaskSnapshot {
  const envelope = isRecord(body) && isRecord(body.data) ? body.data : isRecord(body) ? body : {};
  const taskId = envelope.task_id ?? envelope.id;
  const generated = Array.isArray(envelope.generated) ? envelope.generated : [];
  return {
    taskId: typeof taskId === 'string' || typeof taskId === 'number' ? String(taskId) : undefined,
    status: normaliseStatus(envelope.status ?? envelope.task_status),
    generated: generated.map(readGeneratedEntry).filter((x): x is string => x !== null),
    raw: body,
  };
}
