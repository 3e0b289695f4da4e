import { useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { useEditorStore } from '../store/editor-store.ts';
import { toast, useUiStore } from '../store/ui-store.ts';
import { DEFAULT_NAME, startRun } from '../lib/pipeline-actions.ts';
import { api, errorMessage } from '../lib/api-client.ts';
import { startBatch, type BatchFile } from '../lib/batch-actions.ts';
import { droppedFiles, imageFiles } from '../lib/batch-files.ts';
import { EstimateSummary } from './EstimateSummary.tsx';
import { ImagePicker } from './ImagePicker.tsx';
import { portLimitsText } from '../lib/catalog-display.ts';
import { nodeTitle } from '../lib/connection-rules.ts';
import { Modal } from './Modal.tsx';
import type { CacheMode } from '@pikflow/pipeline';

interface ExposedInput {
  nodeId: string;
  name: string;
  kind: 'image' | 'text';
  fallback?: string;
  /** What the nodes it feeds document about their images: `Animate: at least 300×300 px · …`. */
  limits: string[];
}

/** The inputs the pipeline exposes: one per Image/Text input node, by its REST name. */
function useExposedInputs(): ExposedInput[] {
  const nodes = useEditorStore((s) => s.nodes);
  const catalogById = useEditorStore((s) => s.catalogById);
  const edges = useEditorStore((s) => s.edges);
  return useMemo(
    () =>
      nodes
        .filter((n) => catalogById.get(n.data.type)?.mode === 'input')
        .map((n) => {
          const def = catalogById.get(n.data.type)!;
          const kind = def.outputs[0]?.type === 'text' ? 'text' : 'image';
          const name = String(n.data.params.name ?? def.defaults.name ?? n.id);
          const fallback = n.data.params[kind === 'image' ? 'image' : 'text'];
          // The server refuses an image outside these before the run starts; say them where it is picked.
          const limits = edges.flatMap((e) => {
            if (e.source !== n.id) return [];
            const target = nodes.find((t) => t.id === e.target);
            const port = target && catalogById.get(target.data.type)?.inputs.find((p) => p.name === e.targetHandle);
            const text = port ? portLimitsText(port) : '';
            return text ? [`${nodeTitle(target, catalogById)}: ${text}`] : [];
          });
          return { nodeId: n.id, name, kind, fallback: typeof fallback === 'string' ? fallback : undefined, limits };
        }),
    [nodes, edges, catalogById],
  );
}

/** "Choose many images…" and "Choose a folder…" for one image input: two or more images make a batch. */
function ManyImagesChooser({ input, onFiles }: { input: ExposedInput; onFiles(files: BatchFile[]): void }) {
  const many = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  const take = (list: FileList | null) => onFiles(imageFiles([...(list ?? [])].map((file) => ({ file }))));
  return (
    <div className="pik-image-picker-row">
      <button type="button" onClick={() => many.current?.click()} data-testid={`run-input-${input.name}-choose-many`}>
        Choose many images…
      </button>
      <button type="button" onClick={() => folder.current?.click()} data-testid={`run-input-${input.name}-choose-folder`}>
        Choose a folder…
      </button>
      <input
        ref={many}
        type="file"
        accept="image/*"
        multiple
        hidden
        aria-label={`${input.name}: many image files`}
        onChange={(e) => {
          take(e.target.files);
          e.target.value = '';
        }}
        data-testid={`run-input-${input.name}-many`}
      />
      <input
        ref={folder}
        type="file"
        hidden
        // Not in React's types: the browser's folder chooser (every file under the folder).
        {...({ webkitdirectory: '' } as Record<string, string>)}
        aria-label={`${input.name}: a folder of images`}
        onChange={(e) => {
          take(e.target.files);
          e.target.value = '';
        }}
        data-testid={`run-input-${input.name}-folder`}
      />
    </div>
  );
}

/** The images of a batch, briefly: how many runs they make and the first few names. */
function BatchFiles({ files, onClear }: { files: BatchFile[]; onClear(): void }) {
  const first = files.slice(0, 4);
  return (
    <div className="pik-batch-files" data-testid="run-batch-files">
      <p data-testid="run-batch-summary">
        <strong>{files.length} images</strong> → a batch of {files.length} runs
      </p>
      <p className="pik-muted pik-ellipsis" title={files.map((f) => f.label).join('\n')}>
        {first.map((f) => f.label).join(', ')}
        {files.length > first.length ? ` and ${files.length - first.length} more` : ''}
      </p>
      <div className="pik-image-picker-row">
        <button type="button" onClick={onClear} data-testid="run-batch-clear">
          Clear the images
        </button>
      </div>
    </div>
  );
}

export function RunDialog() {
  const close = () => useUiStore.getState().openDialog(null);
  const inputs = useExposedInputs();
  const dirty = useEditorStore((s) => s.isDirty());
  const saved = useEditorStore((s) => !!s.pipeline.id);
  // A first run saves the pipeline: it gets a real name instead of leaving an "Untitled pipeline" behind.
  const needsName = useEditorStore((s) => !s.pipeline.id && s.pipeline.name.trim() === DEFAULT_NAME);
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string | undefined>>({});
  const [busy, setBusy] = useState(false);
  const [cache, setCache] = useState<CacheMode>('use');
  /** Two or more images for one image input: the run becomes a batch of one run per image. */
  const [batch, setBatch] = useState<{ input: string; files: BatchFile[] } | null>(null);
  const [uploaded, setUploaded] = useState<number | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const imageInputs = inputs.filter((i) => i.kind === 'image');

  /** Images chosen or dropped for `input`: one is that input's image, more are a batch. */
  const takeImages = async (input: string, files: BatchFile[]) => {
    setRefusal(null);
    if (files.length === 0) {
      toast('warning', 'No images there (PNG, JPEG, WebP… files)');
      return;
    }
    if (files.length > 1) {
      setBatch({ input, files });
      return;
    }
    setBatch(null);
    try {
      const asset = await api.uploadAsset(files[0]!.file, files[0]!.file.name);
      setValues((s) => ({ ...s, [input]: asset.assetId }));
    } catch (e) {
      toast('error', errorMessage(e), 'Upload failed');
    }
  };

  const onDialogDrop = (e: DragEvent) => {
    setOver(false);
    // An image picker took the drop (one file for its own input).
    if (e.defaultPrevented || !e.dataTransfer.types.includes('Files')) return;
    e.preventDefault();
    const target = batch?.input ?? imageInputs[0]?.name;
    if (!target) {
      toast('warning', 'This pipeline has no image input to run on the dropped images');
      return;
    }
    void droppedFiles(e.dataTransfer).then((files) => takeImages(target, files));
  };

  const missing = inputs.filter((i) => !values[i.name] && !i.fallback && i.name !== batch?.input).map((i) => i.name);
  if (needsName && !name.trim()) missing.unshift('a pipeline name');
  const submit = async () => {
    if (busy || missing.length > 0) return;
    setBusy(true);
    setRefusal(null);
    const payload: Record<string, unknown> = {};
    for (const i of inputs) if (values[i.name] && i.name !== batch?.input) payload[i.name] = values[i.name];
    if (batch) {
      setUploaded(0);
      const refused = await startBatch({ files: batch.files, input: batch.input, inputs: payload, ...(needsName ? { name } : {}), cache, onUploaded: setUploaded });
      setUploaded(null);
      setBusy(false);
      // On success the batch view has replaced this dialog.
      if (refused) setRefusal(refused);
      return;
    }
    const ok = await startRun(payload, { ...(needsName ? { name } : {}), ...(cache === 'use' ? {} : { cache: { cache } }) });
    setBusy(false);
    if (ok) close();
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
        e.preventDefault();
        void submit();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <Modal
      title="Run pipeline"
      onClose={close}
      testId="run-dialog"
      footer={
        <>
          {missing.length > 0 && (
            <span className="pik-muted" data-testid="run-missing">Needs: {missing.join(', ')}</span>
          )}
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button
            type="button"
            className="pik-primary"
            onClick={() => void submit()}
            disabled={busy || missing.length > 0}
            data-testid="run-submit"
          >
            {uploaded !== null && batch ? `Uploading ${uploaded}/${batch.files.length}…` : busy ? 'Starting…' : batch ? `Start batch (${batch.files.length})` : 'Run ▶'}
          </button>
        </>
      }
    >
      <div
        className={`pik-modal-body pik-run-drop${over ? ' over' : ''}`}
        onDragOver={(e) => {
          if (!e.dataTransfer.types.includes('Files')) return;
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={(e) => e.currentTarget === e.target && setOver(false)}
        onDrop={onDialogDrop}
        data-testid="run-drop"
      >
        {imageInputs.length > 0 && <p className="pik-muted">Drop many images or a folder here to run the pipeline once per image (a batch).</p>}
        {(dirty || !saved) && (
          <p className="pik-note">Unsaved changes are saved as a new version before the run starts.</p>
        )}
        {needsName && (
          <div className="pik-field">
            <label className="pik-field-label" htmlFor="run-pipeline-name">
              Pipeline name
            </label>
            <input
              id="run-pipeline-name"
              type="text"
              value={name}
              placeholder="e.g. Restore my photo"
              onChange={(e) => setName(e.target.value)}
              data-testid="run-pipeline-name"
            />
            <p className="pik-muted">The pipeline is saved under this name before its first run.</p>
          </div>
        )}
        {inputs.length === 0 && <p className="pik-muted">This pipeline takes no inputs.</p>}
        {inputs.map((i) => (
          <div className="pik-field" key={i.nodeId}>
            <div className="pik-field-head">
              <label className="pik-field-label" htmlFor={`run-input-${i.nodeId}`}>
                {i.name}
              </label>
              <span className="pik-field-key">{i.kind}</span>
              {i.fallback && <span className="pik-field-default">has a default</span>}
            </div>
            {i.kind === 'image' && batch?.input === i.name ? (
              <BatchFiles files={batch.files} onClear={() => (setBatch(null), setRefusal(null))} />
            ) : i.kind === 'image' ? (
              <>
                <ImagePicker
                  value={values[i.name] ?? i.fallback}
                  onChange={(v) => setValues((s) => ({ ...s, [i.name]: v }))}
                  testId={`run-input-${i.name}`}
                  label={i.name}
                  onManyDropped={(data) => void droppedFiles(data).then((files) => takeImages(i.name, files))}
                />
                {i.limits.length > 0 && (
                  <p className="pik-muted" data-testid={`run-input-${i.name}-limits`}>
                    {i.limits.join('; ')}
                  </p>
                )}
                <ManyImagesChooser input={i} onFiles={(files) => void takeImages(i.name, files)} />
              </>
            ) : (
              <textarea
                id={`run-input-${i.nodeId}`}
                rows={4}
                value={values[i.name] ?? ''}
                placeholder={i.fallback ?? ''}
                onChange={(e) => setValues((s) => ({ ...s, [i.name]: e.target.value || undefined }))}
                data-testid={`run-input-${i.name}-input`}
              />
            )}
          </div>
        ))}
        <div className="pik-field">
          <div className="pik-field-head">
            <label className="pik-field-label" htmlFor="run-cache">
              Result cache
            </label>
          </div>
          <select id="run-cache" value={cache} onChange={(e) => setCache(e.target.value as CacheMode)} data-testid="run-cache">
            <option value="use">Reuse unchanged nodes (no new requests for them)</option>
            <option value="refresh">Run every node again and update the cache</option>
            <option value="off">Run every node, leave the cache alone</option>
          </select>
        </div>
        <EstimateSummary runs={batch?.files.length ?? 1} />
        {refusal && (
          <p className="pik-field-error" role="alert" data-testid="run-refused">
            {batch ? 'Batch not started: ' : ''}
            {refusal}
          </p>
        )}
      </div>
    </Modal>
  );
}
