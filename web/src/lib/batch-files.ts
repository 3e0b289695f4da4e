/** Many images for a batch from what the user chose or dropped: files, a folder, folders inside it. */
import type { BatchFile } from './batch-actions.ts';

const IMAGE_NAME = /\.(png|jpe?g|webp|gif|bmp|tiff?|heic|heif|avif)$/i;

/** A file from a folder may come without a type: its extension says whether it is an image. */
const isImage = (file: File) => file.type.startsWith('image/') || (!file.type && IMAGE_NAME.test(file.name));

/** The images among `files`, labelled with their path in a chosen folder, in path order (IMG_2 before IMG_10). */
export function imageFiles(files: Iterable<{ file: File; path?: string }>): BatchFile[] {
  const out: BatchFile[] = [];
  for (const { file, path } of files) {
    const label = path || file.webkitRelativePath || file.name || `image-${out.length + 1}`;
    // Hidden files (.DS_Store, ._IMG_1.jpg from macOS archives) are not photos.
    if (label.split('/').some((part) => part.startsWith('.'))) continue;
    // The server takes labels of up to 300 characters: a deep path keeps its end (the file name).
    if (isImage(file)) out.push({ file, label: label.length > 300 ? label.slice(-300) : label });
  }
  return out.sort((a, b) => a.label.localeCompare(b.label, undefined, { numeric: true }));
}

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

/** Every file under an entry; a directory reader answers in chunks until it answers none. */
async function walk(entry: FileSystemEntry, out: { file: File; path: string }[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: entry.fullPath.replace(/^\//, '') });
    return;
  }
  if (!entry.isDirectory) return;
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (let chunk = await readEntries(reader); chunk.length; chunk = await readEntries(reader)) {
    for (const child of chunk) await walk(child, out);
  }
}

/**
 * What a drop holds. The entries must be taken while the drop event runs (the DataTransfer is
 * emptied after it), so call this synchronously from the handler and await the result.
 */
export function droppedFiles(data: DataTransfer): Promise<BatchFile[]> {
  const entries = [...data.items].filter((i) => i.kind === 'file').map((i) => i.webkitGetAsEntry?.() ?? null);
  const files = [...data.files];
  if (!entries.some((e) => e?.isDirectory)) return Promise.resolve(imageFiles(files.map((file) => ({ file }))));
  return (async () => {
    const found: { file: File; path: string }[] = [];
    for (const entry of entries) if (entry) await walk(entry, found);
    return imageFiles(found);
  })();
}

/** A drop of a folder or of more than one file: a batch, not the one image of a picker. */
export function isManyDrop(data: DataTransfer): boolean {
  if (data.files.length > 1) return true;
  const first = [...data.items].find((i) => i.kind === 'file');
  return !!first?.webkitGetAsEntry?.()?.isDirectory;
}
