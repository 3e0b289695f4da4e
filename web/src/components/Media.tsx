import { posterUrl, type ImageItem } from '../lib/run-values.ts';

/**
 * A result as a user sees it: an image (click for the full-size view) or a video
 * player whose first frame is its thumbnail.
 */
export function Media({
  item,
  alt,
  testId,
  onOpen,
  className,
}: {
  item: Pick<ImageItem, 'url' | 'kind'>;
  alt: string;
  testId?: string;
  onOpen?(): void;
  className?: string;
}) {
  if (item.kind === 'video') {
    return (
      <video
        className={className}
        src={posterUrl(item.url)}
        controls
        muted
        playsInline
        preload="metadata"
        aria-label={alt}
        data-testid={testId}
      />
    );
  }
  const img = <img src={item.url} alt={alt} data-testid={testId} className={onOpen ? undefined : className} />;
  if (!onOpen) return img;
  return (
    <button type="button" className={`pik-media-open ${className ?? ''}`} onClick={onOpen} aria-label={`${alt}: open full size`}>
      {img}
    </button>
  );
}
