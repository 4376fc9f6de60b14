import { el } from '../shared/dom';
import type { CustomerExport, Erasure, Session } from '../shared/protocol';
import type { ChatTabs } from './chatTabs';
import type { ConsoleContext } from './context';
import { counted, erasedWords } from './erasure';

/** A file name made of the customer's id, without what a file system would refuse or read as a folder. */
const fileName = (customerId: string): string => `customer-${customerId.replace(/[^\w.@-]/g, '_')}.json`;

/** Hands `text` to the browser as a file to save (a temporary link to it, pressed once). */
function saveFile(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own copy by the time the click returns; later is only to be safe in every browser.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * An admin's answer to a customer who asks what is held about them, or to be forgotten: the export as a file,
 * and erasing a customer (every chat under their id) or one chat without an id. What was erased is said in a
 * notice, and the chats open in this console are drawn again from what is left (no name, no messages).
 */
export class CustomerData {
  constructor(
    private readonly ctx: ConsoleContext,
    private readonly tabs: ChatTabs,
    /** An erased chat that was waiting is closed: the queue (and the first words it shows) is read again. */
    private readonly queueChanged: () => void,
  ) {}

  async exportCustomer(customerId: string): Promise<void> {
    try {
      const data = await this.ctx.http.call<CustomerExport>('GET', `/api/users/${encodeURIComponent(customerId)}/export`);
      const name = fileName(customerId);
      saveFile(name, JSON.stringify(data, null, 2));
      this.ctx.toast(`Saved ${counted(data.sessions.length, 'chat', 'chats')} of customer ${customerId} as ${name}.`);
    } catch (error) {
      this.ctx.problem(error);
    }
  }

  async eraseCustomer(customerId: string): Promise<void> {
    // Known before: once erased, the chats no longer carry the id.
    const open = [...this.tabs.chats.values()].filter((chat) => chat.session.customerId === customerId).map((chat) => chat.session.id);
    return this.erase(`/api/users/${encodeURIComponent(customerId)}`, open);
  }

  async eraseSession(session: Session): Promise<void> {
    return this.erase(`/api/chat/sessions/${encodeURIComponent(session.id)}`, [session.id]);
  }

  /** `open`: the chats of this console to draw again once erased. */
  private async erase(path: string, open: string[]): Promise<void> {
    const { http } = this.ctx;
    try {
      const erased = await http.call<Erasure>('DELETE', path);
      this.ctx.toast(erased.sessions === 0 ? 'Nothing was left to erase.' : `Erased ${erasedWords(erased)}.`);
    } catch (error) {
      this.ctx.problem(error);
      return;
    }
    this.queueChanged();
    try {
      for (const id of open) await this.tabs.reload(await http.call<Session>('GET', `/api/chat/sessions/${encodeURIComponent(id)}`));
    } catch (error) {
      this.ctx.problem(error);
    }
  }
}
