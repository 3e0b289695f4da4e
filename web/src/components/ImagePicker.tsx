import { useRef, useState, type ClipboardEvent, type DragEvent } from 'react';
import { api, assetUrl, errorMessage } from '../lib/api-client.ts';
import { isManyDrop } from '../lib/batch-files.ts';
import { toast } from '../store/ui-store.ts';

interface Props {
  value: string | undefined;
  onChange(value: string | undefined): void;
  testId: string;
  invalid?: boolean;
  /** What the image is for: names the controls for screen readers. */
  label?: string;
  /** A drop of many files or a folder goes here (a batch); without it the first file is taken. */
  onManyDropped?(data: DataTransfer): void;
}

/** What to show for a stored value: asset ids are served by the server, URLs and data URIs as they are. */
export function imagePreviewUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (/^(https?:|data:image\/|\/)/i.test(value)) return value;
  return assetUrl(value);
}

/** Upload (button, drop or paste) stores an asset id; a URL is kept as typed. */
export function ImagePicker({ value, onChange, testId, invalid, label = 'Image', onManyDropped }: Props) {
  const fileInput = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [over, setOver] = useState(false);
  const [broken, setBroken] = useState(false);
  const isUrl = !!value && /^https?:/i.test(value);
  const [urlText, setUrlText] = useState(isUrl ? value : '');

  const upload = async (file: File | undefined | null) => {
    if (!file) return;
    if (!file.type.startsWith('image/')) {
      toast('warning', `${file.name || 'That file'} is not an image`);
      return;
    }
    setBusy(true);
    try {
      const asset = await api.uploadAsset(file, file.name || 'pasted.png');
      setBroken(false);
      onChange(asset.assetId);
    } catch (e) {
      toast('error', errorMessage(e), 'Upload failed');
    } finally {
      setBusy(false);
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    if (onManyDropped && isManyDrop(e.dataTransfer)) return onManyDropped(e.dataTransfer);
    const file = e.dataTransfer.files[0];
    if (file) void upload(file);
    else {
      const url = e.dataTransfer.getData('text/uri-list') || e.dataTransfer.getData('text/plain');
      if (url) onChange(url.trim());
    }
  };

  const onPaste = (e: ClipboardEvent) => {
    const file = [...e.clipboardData.files].find((f) => f.type.startsWith('image/'));
    if (file) {
      e.preventDefault();
      void upload(file);
    }
  };

  const preview = imagePreviewUrl(value);
  return (
    <div className={`pik-image-picker${invalid ? ' invalid' : ''}`} data-testid={testId}>
      <div
        className={`pik-dropzone${over ? ' over' : ''}`}
        tabIndex={0}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        onPaste={onPaste}
        onClick={() => fileInput.current?.click()}
        onKeyDown={(e) => {
          if (e.key === 'Enter' || e.key === ' ') {
            e.preventDefault();
            fileInput.current?.click();
          }
        }}
        role="button"
        title="Click to upload, drop a file here, or focus and paste an image"
      >
        <span className="pik-sr-only">{label}: </span>
        {preview && !broken ? (
          <img src={preview} alt="chosen" onError={() => setBroken(true)} data-testid={`${testId}-preview`} />
        ) : (
          <span className="pik-muted">{busy ? 'Uploading…' : preview ? 'Preview unavailable' : 'Drop, paste or click to upload'}</span>
        )}
      </div>
      <div className="pik-image-picker-row">
        <button type="button" onClick={() => fileInput.current?.click()} disabled={busy}>
          {busy ? 'Uploading…' : 'Upload…'}
        </button>
        {value && (
          <button
            type="button"
            onClick={() => {
              onChange(undefined);
              setUrlText('');
            }}
          >
            Clear
          </button>
        )}
        {value && !isUrl && !value.startsWith('data:') && <span className="pik-muted pik-ellipsis">asset {value}</span>}
      </div>
      <input
        type="url"
        placeholder="…or an https:// image URL"
        aria-label={`${label}: image URL`}
        value={urlText}
        onChange={(e) => setUrlText(e.target.value)}
        onBlur={() => {
          if (urlText.trim() && urlText.trim() !== value) {
            setBroken(false);
            onChange(urlText.trim());
          }
        }}
        onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
        data-testid={`${testId}-url`}
      />
      <input
        ref={fileInput}
        type="file"
        accept="image/*"
        hidden
        aria-label={`${label}: image file`}
        onChange={(e) => {
          void upload(e.target.files?.[0]);
          e.target.value = '';
        }}
        data-testid={`${testId}-file`}
      />
    </div>
  );
}
