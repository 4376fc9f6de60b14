import type { ErrorBody } from './protocol';

/** A refusal from the server (REST envelope or socket ack), or a network failure (code NETWORK). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
    /** Which fields were refused and why (VALIDATION_ERROR). */
    readonly details: Array<{ field: string; message: string }> = [],
  ) {
    super(message);
  }
}

export interface Page<T> {
  data: T;
  meta: Record<string, unknown> | undefined;
}

/** REST against the chat server: unwraps `{ success, data, meta }` and turns failures into ApiError. */
export class Http {
  constructor(
    private readonly base: string,
    private readonly token: () => string | null,
  ) {}

  async page<T>(method: string, path: string, body?: unknown): Promise<Page<T>> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    const token = this.token();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError('NETWORK', 'The chat server cannot be reached. Check your connection and try again.');
    }
    const envelope = (await res.json().catch(() => null)) as { success?: boolean; data?: T; meta?: Record<string, unknown>; error?: ErrorBody } | null;
    if (!res.ok || !envelope || envelope.success !== true) {
      const error = envelope?.error;
      throw new ApiError(error?.code ?? 'INTERNAL', error?.message ?? `The server answered ${res.status}`, res.status, error?.details ?? []);
    }
    return { data: envelope.data as T, meta: envelope.meta };
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.page<T>(method, path, body)).data;
  }
}
