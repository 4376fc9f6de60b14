import type { Response } from 'express';

export type Meta = Record<string, unknown>;

/** The success half of PROTOCOL.md's envelope: `{ success: true, data, meta? }`. */
export function sendData(res: Response, data: unknown, options: { status?: number; meta?: Meta } = {}): void {
  const body: { success: true; data: unknown; meta?: Meta } = { success: true, data };
  if (options.meta) body.meta = options.meta;
  res.status(options.status ?? 200).json(body);
}
