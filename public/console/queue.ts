import { ApiError } from '../shared/http';
import type { Message, Session } from '../shared/protocol';
import { ask } from '../shared/socket';
import { preview } from './chat';
import type { ChatTabs } from './chatTabs';
import type { ConsoleContext } from './context';
import { describe } from './describe';

/** How often the queue is read while this operator is not online. */
const OFF_QUEUE_REFRESH_MS = 5_000;
/** How many of the first waiting sessions show their first message. */
const PREVIEWED = 20;

/** The waiting queue: reloaded after each burst of queue events, and a chat taken from it into a tab. */
export class Queue {
  private readonly firstWords = new Map<string, string>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly ctx: ConsoleContext,
    private readonly tabs: ChatTabs,
  ) {}

  /**
   * Queue events reach online operators only (the queue room): while busy or offline the operator still sees the
   * queue, read again this often.
   */
  start(): void {
    this.stop();
    this.timer = setInterval(() => {
      if (this.ctx.me && this.ctx.me.status !== 'online') void this.refresh().catch(() => undefined);
    }, OFF_QUEUE_REFRESH_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  refreshSoon(): void {
    this.ctx.soon('queue', () => this.refresh());
  }

  async refresh(): Promise<void> {
    if (!this.ctx.views) return;
    const pending = await this.ctx.http.call<Session[]>('GET', '/api/operators/pending-sessions');
    this.ctx.views.queue.render(pending, null);
    // Each session's first words, for the first few in line (read once: a first message does not change).
    for (const id of this.firstWords.keys()) if (!pending.some((session) => session.id === id)) this.firstWords.delete(id);
    const missing = pending.slice(0, PREVIEWED).filter((session) => !this.firstWords.has(session.id));
    if (missing.length === 0) return this.ctx.views.queue.render(pending, this.firstWords);
    await Promise.all(
      missing.map(async (session) => {
        const [first] = await this.ctx.http.call<Message[]>('GET', `/api/chat/messages/${encodeURIComponent(session.id)}?after=0&limit=1`).catch(() => []);
        this.firstWords.set(session.id, preview(first));
      }),
    );
    this.ctx.views?.queue.render(pending, this.firstWords);
  }

  /** The first waiting chat this operator may take (keyboard). */
  async takeNext(): Promise<void> {
    const pending = await this.ctx.http.call<Session[]>('GET', '/api/operators/pending-sessions').catch(() => []);
    const first = pending[0];
    if (first) await this.take(first);
    else this.ctx.toast('Nobody is waiting.');
  }

  async take(session: Session): Promise<void> {
    const socket = this.ctx.socket;
    if (!socket) return;
    try {
      const joined = await ask<Session>(socket, 'session:join', { sessionId: session.id });
      this.tabs.assigned(joined, false);
      this.tabs.select(joined.id);
    } catch (error) {
      this.ctx.toast(error instanceof ApiError && error.code === 'ALREADY_ASSIGNED' ? 'Another operator took that chat first.' : describe(error), true);
    }
    await this.refresh().catch(() => undefined);
  }
}
