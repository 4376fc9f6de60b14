import type cors from 'cors';

/**
 * Who may call from a browser, for REST and Socket.IO alike. CORS_ORIGINS unset: only same-origin callers (their
 * requests carry no CORS check anyway); `*` anyone.
 */
export function corsOrigin(origins: string[] | null): cors.CorsOptions['origin'] {
  if (origins === null) return false;
  if (origins.includes('*')) return true;
  return origins;
}

/**
 * The handshake's Origin against CORS_ORIGINS, for polling and websocket alike (browsers do not apply CORS
 * to websockets). No Origin (not a browser) passes; unset CORS_ORIGINS means the server's own origin only.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: string[] | null): boolean {
  if (!origin) return true;
  if (allowed?.includes('*') || allowed?.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
