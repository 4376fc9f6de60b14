import busboy from 'busboy';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { PayloadTooLargeError, ValidationError } from '../services/errors';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `multipartUpload`: the one file of a multipart body, read whole (never past its limit). */
    upload?: { fileName?: string; bytes: Buffer };
  }
}

export interface MultipartLimits {
  /** The largest file; reading stops as soon as a file passes it (413). */
  maxFileBytes: number;
  /** The largest text field (a caption). */
  maxFieldBytes: number;
  /**
   * Uploads read and worked on at once in this process; the others wait, unread. Reading 50 bodies at once put
   * 50 MB of parsing in front of every chat message in the event loop (bench:attachments: text p99 from 12 ms to
   * 700 ms), while images are re-encoded one at a time anyway.
   */
  atOnce: number;
}

/** After refusing an upload half-way, how long the connection stays open (not read) for the client to read the answer. */
const LINGER_MS = 2000;

const isMultipart = (req: Request): boolean => req.is('multipart/form-data') === 'multipart/form-data';

/**
 * Reads a `multipart/form-data` body (anything else passes through untouched): one file in the field `file`, and
 * text fields into req.body. The file is counted while it streams in; past `maxFileBytes` the request is no
 * longer read and answered 413 at once, and the connection is ended a moment later, so an oversized upload
 * costs the server at most the limit and a buffer's worth. Two files, no file, or a malformed body: 400.
 */
export function multipartUpload(limits: MultipartLimits): RequestHandler {
  const gate = new Gate(limits.atOnce);
  return (req, res, next) => {
    if (!isMultipart(req)) {
      next();
      return;
    }
    // The turn lasts until the answer is sent (the file checked and stored) or the client goes away.
    gate.enter(req, res, () => readUpload(req, res, next, limits));
  };
}

function readUpload(req: Request, res: Response, next: NextFunction, limits: MultipartLimits): void {
  let parser: busboy.Busboy;
  try {
    // busboy's own cut-off one byte further than ours: it refuses a file of exactly its limit.
    parser = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: 1, fileSize: limits.maxFileBytes + 1, fields: 20, fieldSize: limits.maxFieldBytes, parts: 24 } });
  } catch {
    next(new ValidationError('Malformed multipart body', [{ field: 'body', message: 'not valid multipart/form-data' }]));
    return;
  }
  const fields: Record<string, string> = {};
  const chunks: Buffer[] = [];
  let received = 0;
  let file: { fileName?: string } | null = null;
  let problem: ValidationError | null = null;
  let done = false;
  const finish = (error?: Error): void => {
    if (done) return;
    done = true;
    if (error) {
      next(error);
      return;
    }
    if (problem) {
      next(problem);
      return;
    }
    if (!file) {
      next(new ValidationError('No file in the upload', [{ field: 'file', message: 'a multipart upload carries one file, in the field "file"' }]));
      return;
    }
    req.body = fields;
    req.upload = { fileName: file.fileName, bytes: Buffer.concat(chunks) };
    next();
  };
  const tooLarge = (): void => {
    if (done) return;
    req.unpipe(parser);
    // Not read any further: the rest stays in the kernel's buffers until the connection is ended.
    req.pause();
    res.once('finish', () => {
      req.socket.end();
      setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
    });
    finish(new PayloadTooLargeError(`The file is larger than ${limits.maxFileBytes} bytes`));
  };

  parser.on('file', (name, stream, info) => {
    if (name !== 'file') {
      problem ??= new ValidationError('Unexpected file field', [{ field: name, message: 'the file goes in the field "file"' }]);
      stream.resume();
      return;
    }
    file = { fileName: info.filename };
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limits.maxFileBytes) tooLarge();
      else chunks.push(chunk);
    });
    stream.on('limit', tooLarge);
  });
  parser.on('filesLimit', () => {
    problem ??= new ValidationError('One file per message', [{ field: 'file', message: 'send one file per message' }]);
  });
  parser.on('field', (name, value, info) => {
    if (info.valueTruncated) problem ??= new ValidationError('A field is too long', [{ field: name, message: 'too long' }]);
    else fields[name] = value;
  });
  parser.on('fieldsLimit', () => {
    problem ??= new ValidationError('Too many fields', [{ field: 'body', message: 'too many fields' }]);
  });
  parser.on('partsLimit', () => {
    problem ??= new ValidationError('Too many parts', [{ field: 'body', message: 'too many parts' }]);
  });
  parser.on('error', () => finish(new ValidationError('Malformed multipart body', [{ field: 'body', message: 'not valid multipart/form-data' }])));
  parser.on('close', () => finish());
  req.on('aborted', () => finish(new ValidationError('The upload was cut off')));
  req.pipe(parser);
}

/**
 * At most `size` uploads worked on at once; the rest wait, unread, in arrival order. An upload counts while its
 * bytes keep coming and from its last byte until its answer; one whose client has sent nothing for `idleMs` (a
 * slow phone) no longer holds the others back. A client that leaves gives its turn up.
 */
class Gate {
  private readonly running = new Set<{ lastActive: number }>();
  private readonly waiting: Array<() => boolean> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly size: number,
    private readonly idleMs = 1000,
  ) {}

  enter(req: Request, res: Response, run: () => void): void {
    this.waiting.push(() => {
      if (res.destroyed || res.writableEnded) return false;
      const slot = { lastActive: Date.now() };
      this.running.add(slot);
      res.once('close', () => {
        this.running.delete(slot);
        this.admit();
      });
      run();
      req.on('data', () => (slot.lastActive = Date.now()));
      // Read whole: from here until its answer it is being worked on.
      req.once('end', () => (slot.lastActive = Number.POSITIVE_INFINITY));
      return true;
    });
    this.admit();
  }

  private admit(): void {
    const now = Date.now();
    let busy = [...this.running].filter((slot) => now - slot.lastActive < this.idleMs).length;
    while (busy < this.size && this.waiting.length > 0) {
      if ((this.waiting.shift() as () => boolean)()) busy++;
    }
    // Looked at again while some wait: a slot whose client went quiet frees up without any event to say so.
    if (this.waiting.length > 0) {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.admit();
      }, this.idleMs / 4).unref();
    }
  }
}
