import { ApiError } from '../shared/http';
import type { Session } from '../shared/protocol';
import { ask } from '../shared/socket';
import type { ChatTabs } from './chatTabs';
import { describe, type ConsoleContext } from './context';

/** The waiting queue: reloaded after each burst of queue events, and a chat taken from it into a tab. */
export class Queue {
  constructor(
    private readonly ctx: ConsoleContext,
    private readonly tabs: ChatTabs,
  ) {}

  refreshSoon(): void {
    this.ctx.soon('queue', () => this.refresh());
  }

  async refresh(): Promise<void> {
    if (!this.ctx.views) return;
    const pending = await this.ctx.http.call<Session[]>('GET', '/api/operators/pending-sessions');
    this.ctx.views.queue.render(pending);
  }

  async take(session: Session): Promise<void> {
    const socket = this.ctx.socket;
    if (!socket) return;
    try {
      const joined = await ask<Session>(socket, 'session:join', { sessionId: session.id });
      this.tabs.assigned(joined, false);
      this.tabs.select(joined.id);
    } catch (error) {
      this.ctx.toast(error instanceof ApiError && error.code === 'ALREADY_ASSIGNED' ? 'Another operator took that chat first.' : describe(error));
    }
    await this.refresh().catch(() => undefined);
  }
}
