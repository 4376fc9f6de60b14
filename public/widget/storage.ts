/** How long a customer's name and email are remembered for their next chat on this site. */
const REMEMBER_CUSTOMER_MS = 30 * 24 * 3600 * 1000;

/** What survives a reload: the session and its token (the token opens only that one session). */
export interface SavedChat {
  sessionId: string;
  customerToken: string;
  open: boolean;
}

/** Who the customer said they were, offered again in the next chat's form. */
export interface RememberedCustomer {
  customerName: string;
  customerEmail: string;
}

/**
 * localStorage, keyed by server so two widgets of two servers on one site never mix. Storage can be refused
 * (privacy settings); the chat then still works, it just does not survive a reload. The customer's name and
 * email are kept apart from the session, so they outlive it: a new chat starts with them filled in.
 */
export class ChatStorage {
  private readonly key: string;
  private readonly customerKey: string;

  constructor(server: string) {
    this.key = `livechat:${server}`;
    this.customerKey = `livechat:${server}:customer`;
  }

  loadCustomer(): RememberedCustomer | null {
    try {
      const saved = JSON.parse(localStorage.getItem(this.customerKey) ?? 'null') as (Partial<RememberedCustomer> & { savedAt?: number }) | null;
      if (typeof saved?.customerName !== 'string' || typeof saved.customerEmail !== 'string') return null;
      // Kept for a while, not for ever: on a shared computer the next person should not find them long after.
      if (typeof saved.savedAt !== 'number' || Date.now() - saved.savedAt > REMEMBER_CUSTOMER_MS) {
        localStorage.removeItem(this.customerKey);
        return null;
      }
      return { customerName: saved.customerName, customerEmail: saved.customerEmail };
    } catch {
      return null;
    }
  }

  saveCustomer(customer: RememberedCustomer): void {
    try {
      localStorage.setItem(this.customerKey, JSON.stringify({ ...customer, savedAt: Date.now() }));
    } catch {
      // Storage refused: the next form starts empty.
    }
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
