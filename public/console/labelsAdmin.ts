import { el, field, replaceChildren } from '../shared/dom';
import { refusal } from './describe';
import type { Label } from '../shared/protocol';
import { keepingFocus } from './table';

/** How long a Delete button waits for its confirming second press. */
const CONFIRM_MS = 5_000;

export interface LabelsAdminActions {
  list(): Promise<Label[]>;
  create(name: string, color: string): Promise<Label>;
  /** Deleting a label takes it off every chat. */
  remove(name: string): Promise<void>;
  /** The team's labels changed: the console's filters and editors read them again. */
  changed(): Promise<void>;
}

/** For admins: the team's labels, each with its colour; add one, delete one (asked first: it leaves every chat). */
export class LabelsAdmin {
  readonly root: HTMLElement;
  private readonly list = el('ul', { className: 'labels-admin' });
  private readonly name = el('input', { type: 'text', name: 'label-name', maxlength: 32, placeholder: 'refund', autocomplete: 'off' });
  private readonly color = el('input', { type: 'color', name: 'label-color', value: '#1f5fbf' });
  private readonly status = el('p', { className: 'form-status', role: 'status' });

  constructor(private readonly actions: LabelsAdminActions) {
    const form = el(
      'form',
      { className: 'label-form', 'aria-label': 'Add a label', novalidate: true },
      field('New label', this.name, 'lowercase letters, digits and -'),
      field('Colour', this.color),
      el('button', { type: 'submit', className: 'primary small', text: 'Add label' }),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.add();
    });
    this.root = el('section', { className: 'panel', 'aria-labelledby': 'labels-admin-title' }, el('h2', { id: 'labels-admin-title', text: 'Labels' }), this.list, form, this.status);
  }

  async reload(): Promise<void> {
    try {
      this.render(await this.actions.list());
    } catch (error) {
      this.say(error instanceof Error ? error.message : 'The labels could not be read.', true);
    }
  }

  private render(labels: Label[]): void {
    keepingFocus(this.list, () =>
      replaceChildren(
        this.list,
        ...(labels.length === 0
          ? [el('li', { className: 'muted', text: 'No labels yet.' })]
          : labels.map((label) => {
              const remove = el('button', { type: 'button', className: 'secondary small', text: 'Delete', 'aria-label': `Delete the label ${label.name}` });
              remove.addEventListener('click', () => void this.remove(label.name, remove));
              const chip = el('span', { className: 'label-chip', text: label.name });
              if (label.color) chip.style.borderLeftColor = label.color;
              return el('li', { className: 'label-row' }, chip, remove);
            })),
      ),
    );
  }

  private async add(): Promise<void> {
    try {
      const label = await this.actions.create(this.name.value.trim(), this.color.value);
      this.name.value = '';
      this.say(`Label ${label.name} added.`, false);
      await this.actions.changed();
      await this.reload();
    } catch (error) {
      this.say(refusal(error, 'The label could not be added.'), true);
    }
  }

  /** Asked first, on the button itself: a second press within a few seconds deletes. */
  private async remove(name: string, button: HTMLButtonElement): Promise<void> {
    if (button.dataset.confirm !== 'yes') {
      button.dataset.confirm = 'yes';
      button.textContent = 'Really delete? It leaves every chat';
      setTimeout(() => {
        button.dataset.confirm = '';
        button.textContent = 'Delete';
      }, CONFIRM_MS);
      return;
    }
    try {
      await this.actions.remove(name);
      this.say(`Label ${name} deleted.`, false);
      await this.actions.changed();
      await this.reload();
    } catch (error) {
      this.say(error instanceof Error ? error.message : 'The label could not be deleted.', true);
    }
  }

  private say(text: string, problem: boolean): void {
    this.status.textContent = text;
    this.status.classList.toggle('error', problem);
  }
}
