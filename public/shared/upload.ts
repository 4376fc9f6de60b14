import { el } from './dom';
import { ApiError } from './http';
import type { ErrorBody, Message } from './protocol';

type Attachment = NonNullable<Message['attachment']>;
type Envelope = { success?: boolean; data?: Message; error?: ErrorBody };

/**
 * Sends one file as a message (multipart POST, PROTOCOL.md "Files and images"), reporting progress from 0 to 1.
 * XMLHttpRequest rather than fetch: only it reports how much of an upload has gone.
 */
export function uploadFile(
  url: string,
  token: string | null,
  file: File,
  clientMessageId: string,
  onProgress: (fraction: number) => void,
): Promise<Message> {
  const body = new FormData();
  body.append('clientMessageId', clientMessageId);
  body.append('file', file, file.name);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let envelope: Envelope | null;
      try {
        envelope = JSON.parse(xhr.responseText) as Envelope;
      } catch {
        envelope = null;
      }
      if (xhr.status < 300 && envelope?.success === true && envelope.data) resolve(envelope.data);
      else reject(new ApiError(envelope?.error?.code ?? (xhr.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'INTERNAL'), refusal(xhr.status, envelope?.error), xhr.status));
    };
    // A server that refuses a large upload may close the connection before the browser has sent it all.
    xhr.onerror = () => reject(new ApiError('NETWORK', 'The file could not be sent: it may be too large, or the connection dropped.'));
    xhr.send(body);
  });
}

/** What a person reads when a file is refused: the server's reason, said plainly. */
function refusal(status: number, error: ErrorBody | undefined): string {
  if (status === 413) return 'This file is too large to send.';
  const detail = error?.details?.[0]?.message;
  if (error?.code === 'VALIDATION_ERROR' && detail) return `This file cannot be sent: ${detail}.`;
  return error?.message ?? `The server answered ${status}.`;
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * A message's file: an image as its thumbnail that opens full size, anything else as a download under its name
 * with its size. Names go in as text and attributes only. `base`: where the server is (links are relative to it);
 * `openFullSize`: the image link's title, in the page's language.
 */
export function attachmentView(attachment: Attachment, base: string, openFullSize: (fileName: string) => string): HTMLElement {
  const href = `${base}${attachment.url}`;
  if (attachment.thumbnailUrl) {
    const image = el('img', { className: 'msg-thumb', src: `${base}${attachment.thumbnailUrl}`, alt: attachment.fileName, loading: 'lazy' });
    return el('a', { className: 'msg-image', href, target: '_blank', rel: 'noopener noreferrer', title: openFullSize(attachment.fileName) }, image);
  }
  return el(
    'a',
    { className: 'msg-file', href, download: attachment.fileName, rel: 'noopener noreferrer' },
    el('span', { className: 'msg-file-name', text: attachment.fileName }),
    ' ',
    el('span', { className: 'msg-file-size', text: fileSize(attachment.size) }),
  );
}

/** Files dropped on `target` are handed to `send`, one message each. */
export function acceptDrops(target: HTMLElement, send: (file: File) => void): void {
  target.addEventListener('dragover', (event) => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    target.classList.add('drop-ready');
  });
  target.addEventListener('dragleave', () => target.classList.remove('drop-ready'));
  target.addEventListener('drop', (event) => {
    target.classList.remove('drop-ready');
    const files = Array.from(event.dataTransfer?.files ?? []);
    if (files.length === 0) return;
    event.preventDefault();
    for (const file of files) send(file);
  });
}
