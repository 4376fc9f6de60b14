import { clientMessageId } from './ids';

export interface Outgoing {
  clientMessageId: string;
  content: string;
  /** An operators-only note (the console's note mode); a resend is a note again. */
  internal?: boolean;
}

/**
 * Messages typed but not yet acknowledged. Each keeps its clientMessageId, so a resend after a reconnect is
 * stored once (the server answers a repeated id with the first message).
 */
export class Outbox {
  private readonly items = new Map<string, Outgoing>();

  add(content: string, internal = false): Outgoing {
    const item = { clientMessageId: clientMessageId(), content, ...(internal ? { internal } : {}) };
    this.items.set(item.clientMessageId, item);
    return item;
  }

  done(id: string): void {
    this.items.delete(id);
  }

  all(): Outgoing[] {
    return [...this.items.values()];
  }

  clear(): void {
    this.items.clear();
  }
}
