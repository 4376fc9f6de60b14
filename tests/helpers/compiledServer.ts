import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/**
 * The compiled server lives in its own folder under dist/ (ignored by git, found by node_modules lookup), so a
 * test that builds it never races another suite that builds or reads dist/ at the same moment.
 */
export const TEST_BUILD_DIR = path.join(REPO_ROOT, 'dist', 'test-build');

/**
 * `npm run build`, into TEST_BUILD_DIR: the same compiler and tsconfig.build.json `npm start` uses. Rejects with
 * the compiler's output when the build fails (then `npm start` would not start either). Returns bin/www.js.
 */
export function buildCompiledServer(): Promise<string> {
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '-p', 'tsconfig.build.json', '--outDir', TEST_BUILD_DIR, '--tsBuildInfoFile', path.join(TEST_BUILD_DIR, '.tsbuildinfo')];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`tsc -p tsconfig.build.json failed:\n${stdout}${stderr}`));
      else resolve(path.join(TEST_BUILD_DIR, 'bin', 'www.js'));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** The pino JSON lines of stdout, parsed (other lines skipped). */
  logs(): Array<Record<string, unknown>>;
  /** Resolves with the first log line that matches; rejects at the deadline or when the process exits first. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL unless it has already ended. */
  kill(): void;
}

/**
 * Runs `node <entry>` the way a person would, with only the given environment (plus PATH and HOME) so that
 * nothing from the shell running the tests leaks in, in `cwd` (no stray .env there is read by dotenv). `within`:
 * a command that runs it elsewhere (`ip netns exec <host>`: another test host), which must exec it in its place.
 */
export function spawnServer(entry: string, env: Record<string, string>, cwd: string, within: string[] = []): ServerProcess {
  const [command = process.execPath, ...args] = [...within, process.execPath, entry];
  const child = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  let ended = false;
  void exited.then(() => (ended = true));

  const logs = (): Array<Record<string, unknown>> =>
    out
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });

  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs,
    exited,
    async waitForLog(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logs().find(match);
        if (found) return found;
        if (ended) throw new Error(`server exited before the expected log line\nstdout:\n${out}\nstderr:\n${err}`);
        if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms\nstdout:\n${out}\nstderr:\n${err}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    kill() {
      if (!ended && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
