import { el, replaceChildren } from '../shared/dom';
import { SessionLifecycle } from './sessionLifecycle';

export interface WidgetOptions {
  server: string;
  departments: string[];
}

/**
 * The customer's chat: launcher, panel, and one session at a time from start form to rating. The session token
 * is kept in localStorage, so a reload (or a dropped network) resumes the same session with every message.
 */
export class Widget {
  private readonly chat: SessionLifecycle;
  private unseen = 0;
  private readonly panel: HTMLElement;
  private readonly body: HTMLElement;
  private readonly launcher: HTMLButtonElement;
  private readonly badge: HTMLElement;

  constructor(container: ShadowRoot, options: WidgetOptions) {
    this.chat = new SessionLifecycle(options.server, options.departments, {
      hidden: () => this.panel.hidden,
      setBody: (...nodes) => replaceChildren(this.body, ...nodes),
      unseen: (count) => {
        this.unseen += count;
        this.updateBadge();
      },
    });
    const minimize = el('button', { type: 'button', className: 'lc-icon', 'aria-label': 'Minimize chat', text: '–' });
    minimize.addEventListener('click', () => this.setOpen(false));
    this.body = el('div', { className: 'lc-body' });
    this.panel = el(
      'section',
      { className: 'lc-panel', id: 'lc-panel', role: 'dialog', 'aria-label': 'Live chat' },
      el('header', { className: 'lc-header' }, el('h2', { text: 'Chat with us' }), minimize),
      this.body,
    );
    this.panel.hidden = true;
    this.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.setOpen(false);
    });
    this.badge = el('span', { className: 'lc-badge' });
    this.badge.hidden = true;
    this.launcher = el('button', { type: 'button', className: 'lc-launcher', 'aria-controls': 'lc-panel', 'aria-expanded': 'false' }, el('span', { text: 'Chat with us' }), this.badge);
    this.launcher.addEventListener('click', () => this.setOpen(this.panel.hidden));
    container.append(el('div', { className: 'lc-root' }, this.panel, this.launcher));
    document.addEventListener('visibilitychange', () => this.chat.markRead());
  }

  /** Resumes a saved session (reopening the panel if it was open), or waits for the launcher. */
  async start(): Promise<void> {
    const saved = this.chat.load();
    if (!saved) return;
    if (saved.open) this.setOpen(true, false);
    await this.chat.resume();
  }

  private setOpen(open: boolean, focus = true): void {
    this.panel.hidden = !open;
    this.launcher.setAttribute('aria-expanded', String(open));
    this.chat.rememberOpen(open);
    if (!open) {
      if (focus) this.launcher.focus();
      return;
    }
    this.unseen = 0;
    this.updateBadge();
    if (this.chat.idle()) void this.chat.showStart();
    this.chat.markRead();
    if (focus) this.chat.focusInput();
  }

  private updateBadge(): void {
    this.badge.hidden = this.unseen === 0;
    this.badge.textContent = this.unseen === 0 ? '' : `${this.unseen} new`;
  }
}
