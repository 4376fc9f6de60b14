import { el, field } from '../shared/dom';
import { refusal } from './describe';
import type { Settings } from '../shared/protocol';

const DAYS = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
] as const;

type Day = (typeof DAYS)[number][0];

export interface SettingsActions {
  load(): Promise<Settings>;
  /** PATCH /api/settings; throws what the server refused, worded for the reader. */
  save(change: Partial<Settings>): Promise<Settings>;
}

const list = (text: string): string[] =>
  text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * For admins: business hours (a time zone, each day's opening windows as "09:00-12:30, 13:30-17:00", closed
 * dates) and who is told of offline messages (the team, and per department as "sales: a@x.com, b@x.com").
 * What is typed is sent as it is: the server checks it and says what is wrong, where.
 */
export class SettingsView {
  readonly root: HTMLElement;
  private readonly useHours = el('input', { type: 'checkbox', name: 'use-hours' });
  private readonly timezone = el('input', { type: 'text', name: 'timezone', placeholder: 'Europe/Paris', autocomplete: 'off' });
  private readonly days = new Map<Day, HTMLInputElement>(DAYS.map(([day]) => [day, el('input', { type: 'text', name: `hours-${day}`, placeholder: 'closed' })]));
  private readonly closed = el('textarea', { name: 'closed-dates', rows: 2, placeholder: '2026-12-25' });
  private readonly team = el('textarea', { name: 'notify-team', rows: 2, placeholder: 'team@example.com' });
  private readonly departments = el('textarea', { name: 'notify-departments', rows: 2, placeholder: 'sales: sales@example.com' });
  private readonly status = el('p', { className: 'settings-status', role: 'status', text: 'Loading the settings…' });
  /**
   * Closed until the settings are read: what is typed before would be overwritten when they arrive, and a save
   * would then send what was there instead of what was typed.
   */
  private readonly fields = el('fieldset', { className: 'settings-fields', disabled: true });

  constructor(private readonly actions: SettingsActions) {
    this.fields.append(
      el('label', { className: 'check' }, this.useHours, el('span', { text: 'Business hours (outside them the widget takes messages)' })),
      field('Time zone', this.timezone),
      ...DAYS.map(([day, name]) => field(name, this.days.get(day) as HTMLInputElement, day === 'mon' ? 'e.g. 09:00-12:30, 13:30-17:00; empty: closed' : undefined)),
      field('Closed dates (one a line, YYYY-MM-DD)', this.closed),
      field('Tell of offline messages (emails)', this.team),
      field('Per department (name: emails, one a line)', this.departments),
      el('button', { type: 'submit', className: 'primary small', text: 'Save settings' }),
    );
    const form = el('form', { className: 'settings-form', 'aria-labelledby': 'settings-title' }, this.fields, this.status);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
    this.root = el('section', { className: 'panel settings', 'aria-labelledby': 'settings-title' }, el('h2', { id: 'settings-title', text: 'Settings' }), form);
    void this.reload();
  }

  private async reload(): Promise<void> {
    try {
      this.show(await this.actions.load());
      this.fields.disabled = false;
      this.say('', false);
    } catch (error) {
      this.say(error instanceof Error ? error.message : 'The settings could not be read.', true);
    }
  }

  private show(settings: Settings): void {
    const hours = settings.businessHours;
    this.useHours.checked = hours !== null;
    this.timezone.value = hours?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    for (const [day, input] of this.days) {
      input.value = (hours?.week ?? [])
        .filter((entry) => entry.day === day)
        .map((entry) => `${entry.open}-${entry.close}`)
        .join(', ');
    }
    this.closed.value = (hours?.closedDates ?? []).join('\n');
    this.team.value = settings.offlineNotifyEmails.join('\n');
    this.departments.value = settings.departments.map((d) => `${d.name}: ${d.offlineNotifyEmails.join(', ')}`).join('\n');
  }

  private async save(): Promise<void> {
    const week = [...this.days].flatMap(([day, input]) =>
      list(input.value).map((window) => {
        const [open = '', close = ''] = window.split('-').map((part) => part.trim());
        return { day, open, close };
      }),
    );
    const change: Partial<Settings> = {
      businessHours: this.useHours.checked ? { timezone: this.timezone.value.trim(), week, closedDates: list(this.closed.value) } : null,
      offlineNotifyEmails: list(this.team.value),
      departments: this.departments.value
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .map((line) => {
          const at = line.indexOf(':');
          return { name: (at < 0 ? line : line.slice(0, at)).trim(), offlineNotifyEmails: at < 0 ? [] : list(line.slice(at + 1)) };
        }),
    };
    try {
      this.show(await this.actions.save(change));
      this.say('Saved.', false);
    } catch (error) {
      this.say(refusal(error, 'The settings could not be saved.'), true);
    }
  }

  private say(text: string, problem: boolean): void {
    this.status.textContent = text;
    this.status.classList.toggle('error', problem);
  }
}
