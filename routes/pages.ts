import path from 'node:path';
import express, { Router, type Response } from 'express';

/** Every page and asset is revalidated (ETag), so an embedding site always gets the current widget. */
const REVALIDATE = 'no-cache';

/**
 * The browser pages built into dist/public: the demo host page with the widget at `/`, the operator console
 * at `/console`, and their assets (`/widget.js` is what other sites embed). Mounted after the API.
 */
export function pagesRouter(dir: string): Router {
  const router = Router();
  const page = (file: string) => (_req: unknown, res: Response) => {
    res.setHeader('Cache-Control', REVALIDATE);
    res.sendFile(path.join(dir, file), (error) => {
      if (error && !res.headersSent) res.status(503).type('text/plain').send('The pages are not built: run `npm run build`.\n');
    });
  };
  router.get('/', page('index.html'));
  router.get(['/console', '/console/'], page('console.html'));
  router.use(
    express.static(dir, {
      index: false,
      redirect: false,
      dotfiles: 'ignore',
      setHeaders: (res) => res.setHeader('Cache-Control', REVALIDATE),
    }),
  );
  return router;
}
