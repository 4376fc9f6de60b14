import { el } from './dom';
import { acceptDrops } from './upload';

export interface ComposerActions {
  send(content: string): void;
  /** A file to send as its own message (attach button, drop, or a pasted screenshot). */
  sendFile(file: File): void;
  keystroke(): void;
}

/** The composer's buttons in the page's language (the widget's locale); English unless given. */
export interface ComposerWords {
  attach: string;
  attachAFile: string;
  attachHint: string;
  send: string;
}

const ENGLISH: ComposerWords = { attach: 'Attach', attachAFile: 'Attach a file', attachHint: 'Attach a file (or paste or drop one here)', send: 'Send' };

/**
 * The message box of both pages: a form around the input, an Attach button and a Send button. Blank text is not
 * sent; Enter sends and Shift+Enter starts a new line (what every chat box does); each keystroke is reported
 * (typing). A file can be attached with the button, dropped on the box, or pasted into it (a screenshot).
 */
export function composer(
  input: HTMLTextAreaElement,
  options: { label: string; className: string; buttonClass: string; words?: ComposerWords },
  actions: ComposerActions,
): HTMLFormElement {
  const words = options.words ?? ENGLISH;
  const picker = el('input', { type: 'file', className: 'composer-file', hidden: true, tabindex: -1, 'aria-hidden': 'true' });
  const attach = el('button', { type: 'button', className: 'attach', 'aria-label': words.attachAFile, title: words.attachHint, text: words.attach });
  const form = el('form', { className: options.className, 'aria-label': options.label }, attach, picker, input, el('button', { type: 'submit', className: options.buttonClass, text: words.send }));
  attach.addEventListener('click', () => picker.click());
  picker.addEventListener('change', () => {
    for (const file of Array.from(picker.files ?? [])) actions.sendFile(file);
    picker.value = '';
  });
  input.addEventListener('paste', (event) => {
    const files = Array.from(event.clipboardData?.files ?? []);
    if (files.length === 0) return;
    event.preventDefault();
    for (const file of files) actions.sendFile(file);
  });
  acceptDrops(form, (file) => actions.sendFile(file));
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
