import type { Socket } from 'socket.io-client';
import { ApiError, Http } from '../shared/http';
import type { Label, Operator } from '../shared/protocol';
import { savedToken } from './auth';
import type { ConversationView } from './conversationView';
import type { QueueView } from './queueView';
import type { SearchView } from './searchView';
import type { SettingsView } from './settingsView';
import type { TabsView } from './tabsView';
import type { TeamView } from './teamView';

export interface Views {
  status: HTMLSelectElement;
  connection: HTMLElement;
  toast: HTMLElement;
  queue: QueueView;
  tabs: TabsView;
  conversation: ConversationView;
  team: TeamView | null;
  search: SearchView;
  settings: SettingsView | null;
}

/**
 * What every part of the console shares: the login, the /operator socket, the views while the main screen is
 * shown, and the two lines that tell the operator what is going on.
 */
export class ConsoleContext {
  token: string | null = savedToken.get();
  me: Operator | null = null;
  socket: Socket | null = null;
  views: Views | null = null;
  /** The team's labels (GET /api/labels), read on every (re)connect. */
  labels: Label[] = [];
  readonly http = new Http('', () => this.token);
  private readonly debounced = new Map<string, ReturnType<typeof setTimeout>>();

  setConnection(text: string | null): void {
    const connection = this.views?.connection;
    if (!connection) return;
    connection.hidden = text === null;
    connection.textContent = text ?? '';
  }

  toast(text: string): void {
    const toast = this.views?.toast;
    if (!toast) return;
    toast.textContent = text;
    toast.hidden = false;
  }

  /** Runs `work` once after a burst of events of one kind. */
  soon(key: string, work: () => Promise<void>): void {
    clearTimeout(this.debounced.get(key));
    this.debounced.set(
      key,
      setTimeout(() => void work().catch(() => undefined), 150),
    );
  }
}

export function describe(error: unknown): string {
  return error instanceof ApiError ? error.message : 'Something went wrong. Please try again.';
}
