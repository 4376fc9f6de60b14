import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The project root: the nearest folder up from this file with a package.json. This file runs from src/ under
 * ts-jest and from dist/src/ (or a test build under dist/) once compiled, so a fixed '..' would not do.
 */
export function projectRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** The browser pages: their sources (public/) and what the build makes of them (dist/public/, served). */
export function webPaths(root = projectRoot()): { source: string; out: string } {
  return { source: path.join(root, 'public'), out: path.join(root, 'dist', 'public') };
}
