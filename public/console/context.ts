import type { Socket } from 'socket.io-client';
import { Http } from '../shared/http';
import { describe } from './describe';
import type { Label, Operator } from '../shared/protocol';
import { savedToken } from './auth';
import type { AccountView } from './accountView';
import type { ConversationView } from './conversationView';
import type { HistoryView } from './historyView';
import type { LiveView } from './liveView';
import type { QueueView } from './queueView';
import type { ScreenNav } from './screenNav';
import type { SearchView } from './searchView';
import type { SettingsView } from './settingsView';
import type { TabsView } from './tabsView';
import type { TeamView } from './teamView';

/** How long a notice, and a problem, stays on screen. */
const NOTICE_MS = 6_000;
const PROBLEM_MS = 12_000;

export interface Views {
  status: HTMLSelectElement;
  connection: HTMLElement;
  toast: HTMLElement;
  queue: QueueView;
  tabs: TabsView;
  conversation: ConversationView;
  search: SearchView;
  history: HistoryView;
  account: AccountView;
  /** Admins only: */
  team: TeamView | null;
  settings: SettingsView | null;
  live: LiveView | null;
  nav: ScreenNav;
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
  /** A password change on its way: its answer brings the token that replaces the one it ends. */
  renewing: Promise<unknown> | null = null;
  private readonly debounced = new Map<string, ReturnType<typeof setTimeout>>();
  private toastTimer: ReturnType<typeof setTimeout> | undefined;

  setConnection(text: string | null): void {
    const connection = this.views?.connection;
    if (!connection) return;
    connection.hidden = text === null;
    connection.textContent = text ?? '';
  }

  /** A notice that goes away by itself; a problem (`problem`) is styled as one and stays a little longer. */
  toast(text: string, problem = false): void {
    const toast = this.views?.toast;
    if (!toast) return;
    toast.textContent = text;
    toast.classList.toggle('toast-error', problem);
    toast.setAttribute('role', problem ? 'alert' : 'status');
    toast.hidden = false;
    clearTimeout(this.toastTimer);
    this.toastTimer = setTimeout(() => (toast.hidden = true), problem ? PROBLEM_MS : NOTICE_MS);
  }

  /** A refusal or a failure, worded for the reader. */
  problem(error: unknown): void {
    this.toast(describe(error), true);
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
