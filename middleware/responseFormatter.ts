import type { Response } from 'express';

export type Meta = Record<string, unknown>;

/** The success half of PROTOCOL.md's envelope: `{ success: true, data, meta? }`. */
export function sendData(res: Response, data: unknown, options: { status?: number; meta?: Meta } = {}): void {
  const body: { success: true; data: unknown; meta?: Meta } = { success: true, data };
  if (options.meta) body.meta = options.meta;
  res.status(options.status ?? 200).json(body);
}

/** The envelopes of shared read results, serialised once each (see sendSharedData). */
const serialised = new WeakMap<object, string>();

/**
 * sendData for a result that a memoised read hands to every caller until it changes (and that nobody
 * mutates): the envelope is serialised once per result, not once per request.
 */
export function sendSharedData(res: Response, data: object): void {
  let body = serialised.get(data);
  if (body === undefined) {
    body = JSON.stringify({ success: true, data });
    serialised.set(data, body);
  }
  res.status(200).type('application/json').send(body);
}
