import { el, replaceChildren } from '../shared/dom';
import type { Label } from '../shared/protocol';

/** A session's labels as small chips (tabs, the conversation header). */
export function labelChips(names: string[], colors: Map<string, string | null> = new Map()): HTMLElement {
  return el(
    'span',
    { className: 'label-chips' },
    ...names.map((name) => {
      const chip = el('span', { className: 'label-chip', text: name });
      const color = colors.get(name);
      if (color) chip.style.borderLeftColor = color;
      return chip;
    }),
  );
}

/**
 * The conversation's labels: chips, and a disclosure listing the team's labels as checkboxes; each change sends
 * the whole new set (PUT …/labels). Keyboard: the summary opens it, Space ticks a label.
 */
export class LabelsEditor {
  readonly root: HTMLElement;
  private readonly chips = el('span', { className: 'label-current' });
  private readonly options = el('fieldset', { className: 'label-options' }, el('legend', { text: 'Labels of this chat' }));
  private readonly panel = el('details', { className: 'label-editor' }, el('summary', { text: 'Labels' }));
  /** What is drawn now: the conversation is shown again on every event, and redrawing would take a keyboard user's focus. */
  private drawn = '';

  constructor(private readonly change: (labels: string[]) => void) {
    this.panel.append(this.options);
    this.root = el('div', { className: 'labels' }, this.chips, this.panel);
  }

  show(current: string[], team: Label[]): void {
    const key = JSON.stringify([current, team]);
    if (key === this.drawn) return;
    this.drawn = key;
    replaceChildren(this.chips, labelChips(current, new Map(team.map((label) => [label.name, label.color]))));
    const legend = this.options.querySelector('legend');
    if (team.length === 0) {
      replaceChildren(this.options, legend, el('p', { className: 'muted', text: 'No labels yet: an admin defines them.' }));
      return;
    }
    replaceChildren(
      this.options,
      legend,
      ...team.map((label) => {
        const box = el('input', { type: 'checkbox', name: 'label', value: label.name });
        box.checked = current.includes(label.name);
        box.addEventListener('change', () => this.change(this.checked()));
        return el('label', { className: 'label-option' }, box, ` ${label.name}`);
      }),
    );
  }

  /** Draws again on the next show, whatever it was (a refused change leaves the boxes as the server has them). */
  forget(): void {
    this.drawn = '';
  }

  private checked(): string[] {
    return Array.from(this.options.querySelectorAll<HTMLInputElement>('input[name="label"]:checked')).map((box) => box.value);
  }
}
