/** What survives a reload: the session and its token (the token opens only that one session). */
export interface SavedChat {
  sessionId: string;
  customerToken: string;
  open: boolean;
}

/**
 * localStorage, keyed by server so two widgets of two servers on one site never mix. Storage can be refused
 * (privacy settings); the chat then still works, it just does not survive a reload.
 */
export class ChatStorage {
  private readonly key: string;

  constructor(server: string) {
    this.key = `livechat:${server}`;
  }

  load(): SavedChat | null {
    try {
      const raw = localStorage.getItem(this.key);
      if (!raw) return null;
      const saved = JSON.parse(raw) as Partial<SavedChat>;
      if (typeof saved.sessionId !== 'string' || typeof saved.customerToken !== 'string') return null;
      return { sessionId: saved.sessionId, customerToken: saved.customerToken, open: saved.open === true };
    } catch {
      return null;
    }
  }

  save(chat: SavedChat): void {
    try {
      localStorage.setItem(this.key, JSON.stringify(chat));
    } catch {
      // Storage refused: nothing to keep it in.
    }
  }

  clear(): void {
    try {
      localStorage.removeItem(this.key);
    } catch {
      // Storage refused: nothing was kept.
    }
  }
}
