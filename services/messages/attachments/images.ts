import type Sharp from 'sharp';

/** What an image becomes: re-encoded bytes without any metadata of the upload, its size, and a thumbnail. */
export interface ProcessedImage {
  bytes: Buffer;
  width: number;
  height: number;
  thumbnail: Buffer;
  thumbnailType: string;
}

/** A pixel bomb (a small file that decodes to gigapixels) is refused before it is decoded. */
const MAX_PIXELS = 50_000_000;
const THUMBNAIL_SIZE = 320;
const FORMATS: Record<string, 'png' | 'jpeg' | 'gif' | 'webp'> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/gif': 'gif', 'image/webp': 'webp' };

let loaded: Promise<typeof Sharp> | null = null;

/** libvips is loaded with the first image, not at start-up: 19 MB of RSS and 65 ms for a process that may never see one. */
function loadSharp(): Promise<typeof Sharp> {
  loaded ??= import('sharp').then(({ default: sharp }) => {
    // libvips' own cache keeps decoded images between calls: a chat server never sees the same image twice.
    sharp.cache(false);
    // One libvips thread per image: images are worked on one at a time (below), so the other core stays with
    // the event loop and the message path (bench:attachments).
    sharp.concurrency(1);
    return sharp;
  });
  return loaded;
}

/** Images are processed one at a time: each may decode to tens of megabytes, and 50 at once must not add up. */
let running: Promise<unknown> = Promise.resolve();

export class UnreadableImageError extends Error {}

/**
 * Re-encodes an image in its own format (EXIF, GPS, text chunks and trailing bytes are not copied; JPEG and PNG
 * are turned upright by their orientation tag first) and makes a WebP thumbnail of at most 320 px a side.
 * Throws UnreadableImageError for bytes that do not decode as the image they claim to be (truncated, corrupt).
 */
export function processImage(bytes: Buffer, mime: string): Promise<ProcessedImage> {
  const job = running.then(() => reencode(bytes, mime));
  running = job.catch(() => undefined);
  return job;
}

async function reencode(bytes: Buffer, mime: string): Promise<ProcessedImage> {
  const format = FORMATS[mime];
  if (!format) throw new UnreadableImageError(`not an image type: ${mime}`);
  const animated = format === 'gif' || format === 'webp';
  const sharp = await loadSharp();
  try {
    let image = sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'warning', animated });
    if (!animated) image = image.rotate();
    const { data, info } = await image.toFormat(format).toBuffer({ resolveWithObject: true });
    const height = info.pageHeight ?? info.height;
    const thumbnail = await sharp(data, { limitInputPixels: MAX_PIXELS })
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
    return { bytes: data, width: info.width, height, thumbnail, thumbnailType: 'image/webp' };
  } catch (error) {
    throw new UnreadableImageError(error instanceof Error ? error.message : String(error));
  }
}
