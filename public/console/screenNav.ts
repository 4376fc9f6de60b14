import { el } from '../shared/dom';

export type ScreenName = 'chats' | 'history' | 'live' | 'team' | 'settings' | 'audit' | 'account';

export interface Screen {
  name: ScreenName;
  label: string;
  root: HTMLElement;
  /** Called each time the screen comes in front (to read fresh data). */
  enter?(): void;
  leave?(): void;
}

/** The console's screens, one in front at a time, chosen from the bar at the top (a link per screen). */
export class ScreenNav {
  readonly root: HTMLElement;
  private readonly buttons = new Map<ScreenName, HTMLButtonElement>();
  private current: Screen | null = null;

  constructor(private readonly screens: Screen[]) {
    this.root = el(
      'nav',
      { className: 'screens', 'aria-label': 'Console screens' },
      ...screens.map((screen) => {
        const button = el('button', { type: 'button', className: 'screen-link', text: screen.label });
        button.addEventListener('click', () => this.show(screen.name));
        this.buttons.set(screen.name, button);
        return button;
      }),
    );
    for (const screen of screens) screen.root.hidden = true;
  }

  get shown(): ScreenName | null {
    return this.current?.name ?? null;
  }

  show(name: ScreenName): void {
    const next = this.screens.find((s) => s.name === name);
    if (!next) return;
    if (this.current !== next) {
      this.current?.leave?.();
      if (this.current) this.current.root.hidden = true;
      this.current = next;
      next.root.hidden = false;
    }
    for (const [screen, button] of this.buttons) {
      if (screen === name) button.setAttribute('aria-current', 'page');
      else button.removeAttribute('aria-current');
    }
    next.enter?.();
  }

  /** The next or previous screen (keyboard). */
  step(by: 1 | -1): void {
    const at = this.screens.findIndex((s) => s === this.current);
    const next = this.screens[(at + by + this.screens.length) % this.screens.length];
    if (next) this.show(next.name);
  }
}
