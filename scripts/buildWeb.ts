import { copyFile, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { webPaths } from '../config/webPaths';

/** Copied as they are next to the bundles. */
const STATIC_FILES = ['index.html', 'console.html', 'console.css', 'attachments.css', 'demo.css'];
/** Written last: its time is when the build finished, which staleness is measured against. */
const STAMP = '.build-stamp';
/**
 * The most widget.js may weigh gzipped (socket.io-client included): every visitor of every embedding site
 * downloads it, most of them never chatting. Over it, the build fails.
 */
export const WIDGET_GZIP_LIMIT = 35 * 1024;

/**
 * Builds the browser pages: the widget (widget.js, embeddable anywhere) and the console (console.js), each one
 * self-contained IIFE bundle with socket.io-client inside, plus the HTML and CSS, into dist/public/. Answers
 * the widget's gzipped size; throws (before the stamp, so the next run builds again) when it is over the limit.
 */
export async function buildWeb(paths = webPaths()): Promise<{ widgetGzipBytes: number }> {
  const { source, out } = paths;
  await mkdir(out, { recursive: true });
  const common = { bundle: true, format: 'iife', target: 'es2020', minify: true, sourcemap: 'linked', legalComments: 'none', logLevel: 'warning' } as const;
  await Promise.all([
    build({ ...common, entryPoints: [path.join(source, 'widget', 'main.ts')], outfile: path.join(out, 'widget.js'), loader: { '.css': 'text' } }),
    build({ ...common, entryPoints: [path.join(source, 'console', 'main.ts')], outfile: path.join(out, 'console.js') }),
    ...STATIC_FILES.map((file) => copyFile(path.join(source, file), path.join(out, file))),
  ]);
  const widgetGzipBytes = gzipSync(await readFile(path.join(out, 'widget.js'))).length;
  if (widgetGzipBytes > WIDGET_GZIP_LIMIT) throw new Error(`widget.js is ${kilobytes(widgetGzipBytes)} gzipped, over its limit of ${kilobytes(WIDGET_GZIP_LIMIT)}`);
  await writeFile(path.join(out, STAMP), new Date().toISOString());
  return { widgetGzipBytes };
}

/** KB as 1024 bytes, one decimal. */
function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** True when dist/public is missing or older than any of its sources (or this script). */
export async function webBuildIsStale(paths = webPaths()): Promise<boolean> {
  const built = await stat(path.join(paths.out, STAMP)).catch(() => null);
  if (!built) return true;
  const newest = Math.max(await newestMtime(paths.source), (await stat(__filename)).mtimeMs);
  return newest > built.mtimeMs;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestMtime(full) : (await stat(full)).mtimeMs);
  }
  return newest;
}

if (require.main === module) {
  buildWeb()
    .then(({ widgetGzipBytes }) => process.stdout.write(`widget.js: ${kilobytes(widgetGzipBytes)} gzipped (limit ${kilobytes(WIDGET_GZIP_LIMIT)})\n`))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
