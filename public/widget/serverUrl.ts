/**
 * The chat server's base URL, from the widget's own <script src>: embedded on another site, the page's origin
 * is not the server's. `data-server` on the tag overrides it (a proxy path, say).
 */
export function widgetScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.src) return current;
  // currentScript is null once the script has run (a late call) or in a module: find the tag by its file name.
  const tags = Array.from(document.querySelectorAll<HTMLScriptElement>('script[src]'));
  return tags.find((tag) => new URL(tag.src, location.href).pathname.endsWith('/widget.js')) ?? null;
}

export function serverUrl(script: HTMLScriptElement | null): string {
  const given = script?.dataset.server;
  if (given) return given.replace(/\/+$/, '');
  if (script?.src) {
    const src = new URL(script.src, location.href);
    return `${src.origin}${src.pathname.replace(/\/widget\.js$/, '')}`.replace(/\/+$/, '');
  }
  return location.origin;
}
