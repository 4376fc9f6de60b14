import { el, replaceChildren } from '../shared/dom';
import { avatar } from './avatar';
import type { Locale } from './i18n';
import { SessionLifecycle } from './sessionLifecycle';

export interface WidgetOptions {
  server: string;
  departments: string[];
  locale: Locale;
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
  private readonly minimize: HTMLButtonElement;
  /** The assigned operator's initials, in the header. */
  private readonly operator = el('span', { className: 'lc-header-avatar' });

  constructor(
    container: ShadowRoot,
    private readonly options: WidgetOptions,
  ) {
    const { words } = options.locale;
    this.chat = new SessionLifecycle(options.server, options.departments, options.locale, {
      hidden: () => this.panel.hidden,
      setBody: (...nodes) => replaceChildren(this.body, ...nodes),
      unseen: (count) => {
        this.unseen += count;
        this.updateBadge();
      },
      operator: (name) => replaceChildren(this.operator, name ? avatar(name) : null),
    });
    this.minimize = el('button', { type: 'button', className: 'lc-icon', 'aria-label': words.minimize, text: '–' });
    this.minimize.addEventListener('click', () => this.setOpen(false));
    this.body = el('div', { className: 'lc-body' });
    this.panel = el(
      'section',
      { className: 'lc-panel', id: 'lc-panel', role: 'dialog', 'aria-label': words.liveChat },
      el('header', { className: 'lc-header' }, this.operator, el('h2', { text: words.chatWithUs }), this.minimize),
      this.body,
    );
    this.panel.hidden = true;
    this.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.setOpen(false);
    });
    this.badge = el('span', { className: 'lc-badge' });
    this.badge.hidden = true;
    this.launcher = el('button', { type: 'button', className: 'lc-launcher', 'aria-controls': 'lc-panel', 'aria-expanded': 'false' }, el('span', { text: words.chatWithUs }), this.badge);
    this.launcher.addEventListener('click', () => this.setOpen(true));
    // lang and dir on the root: the shadow tree inherits neither from a host page in another language.
    container.append(el('div', { className: 'lc-root', lang: options.locale.lang, dir: words.dir }, this.panel, this.launcher));
    document.addEventListener('visibilitychange', () => this.chat.markRead());
  }

  /** Resumes a saved session (reopening the panel if it was open), or waits for the launcher. */
  async start(): Promise<void> {
    const saved = this.chat.load();
    if (!saved) return;
    if (saved.open) this.setOpen(true, false);
    await this.chat.resume();
  }

  /** The launcher makes way for the open panel (it would cover the composer on a small screen) and comes back when it closes. */
  private setOpen(open: boolean, focus = true): void {
    this.panel.hidden = !open;
    this.launcher.hidden = open;
    this.launcher.setAttribute('aria-expanded', String(open));
    this.chat.rememberOpen(open);
    if (!open) {
      if (focus) this.launcher.focus();
      return;
    }
    this.unseen = 0;
    this.updateBadge();
    // The launcher that had the focus is gone: it moves into the panel, to the message box once there is one.
    if (focus) this.minimize.focus();
    if (this.chat.idle()) void this.chat.showStart();
    this.chat.markRead();
    if (focus) this.chat.focusInput();
  }

  private updateBadge(): void {
    this.badge.hidden = this.unseen === 0;
    this.badge.textContent = this.unseen === 0 ? '' : this.options.locale.words.unseen(this.unseen);
  }
}
