import type { Browser, Page } from 'playwright-core';
import { createAdmin, type Staff } from './api';
import { sqliteBackend } from './backends';
import { freshContext, launchBrowser, logInToConsole } from './browser';
import { closeAllSockets } from './sockets';
import { startTestServer, type TestServer } from './testServer';

/** A describe's browser and server (SQLite), with its admin Ada, each set once the describe's beforeAll has run. */
export interface BrowserStage {
  browser: Browser;
  server: TestServer;
  admin: Staff;
  /** An operator's console in a context of its own, logged in (and with that status, when one is given). */
  openConsole(email: string, status?: 'online' | 'busy' | 'offline'): Promise<Page>;
}

export function browserStage(env: Record<string, string> = {}): BrowserStage {
  const stage = {
    async openConsole(email: string, status?: 'online' | 'busy' | 'offline'): Promise<Page> {
      const page = await (await freshContext(stage.browser)).newPage();
      await logInToConsole(page, stage.server.url, email, status);
      return page;
    },
  } as BrowserStage;
  beforeAll(async () => {
    stage.browser = await launchBrowser();
    stage.server = await startTestServer(sqliteBackend, { env });
    stage.admin = await createAdmin(stage.server, { name: 'Ada Admin' });
  });
  afterAll(async () => {
    closeAllSockets();
    await stage.browser?.close();
    await stage.server?.close();
  });
  return stage;
}
