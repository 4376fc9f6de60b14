import { el } from './dom';

export interface ComposerActions {
  send(content: string): void;
  keystroke(): void;
}

/**
 * The message box of both pages: a form around the input and a Send button. Blank text is not sent; Enter
 * sends and Shift+Enter starts a new line (what every chat box does); each keystroke is reported (typing).
 */
export function composer(input: HTMLTextAreaElement, options: { label: string; className: string; buttonClass: string }, actions: ComposerActions): HTMLFormElement {
  const form = el('form', { className: options.className, 'aria-label': options.label }, input, el('button', { type: 'submit', className: options.buttonClass, text: 'Send' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const content = input.value.trim();
    if (!content) return;
    input.value = '';
    actions.send(content);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('input', () => actions.keystroke());
  return form;
}
