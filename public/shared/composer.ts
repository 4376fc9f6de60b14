import { el } from './dom';
import { acceptDrops } from './upload';

export interface ComposerActions {
  send(content: string): void;
  /** A file to send as its own message (attach button, drop, or a pasted screenshot). */
  sendFile(file: File): void;
  keystroke(): void;
}

/** The composer's words in the page's language (the widget's locale); English unless given. Numbers come formatted. */
export interface ComposerWords {
  attach: string;
  attachAFile: string;
  attachHint: string;
  send: string;
  /** Shown as the text nears the limit. */
  charactersLeft(left: string): string;
  /** A send refused before it leaves: the message is longer than the server takes. */
  tooLong(max: string, length: string): string;
}

/** The composer's words in English: the console's, and the widget's English catalogue. */
export const ENGLISH_COMPOSER_WORDS: ComposerWords = {
  attach: 'Attach',
  attachAFile: 'Attach a file',
  attachHint: 'Attach a file (or paste or drop one here)',
  send: 'Send',
  charactersLeft: (left) => `${left} characters left`,
  tooLong: (max, length) => `Too long to send: at most ${max} characters (this one has ${length}).`,
};

/** The longest message the server takes: 5,000 until the page has read GET /api/chat/availability. */
export class MessageLimit {
  max = 5000;
}

/** The counter appears when this share of the limit is used. */
const NEAR_LIMIT = 0.9;

/**
 * The message box of both pages: a form around the input, an Attach button and a Send button. Blank text is not
 * sent; Enter sends and Shift+Enter starts a new line (what every chat box does); each keystroke is reported
 * (typing). A file can be attached with the button, dropped on the box, or pasted into it (a screenshot).
 */
export function composer(
  input: HTMLTextAreaElement,
  options: { label: string; className: string; buttonClass: string; words?: ComposerWords; limit: MessageLimit; locale?: string },
  actions: ComposerActions,
): HTMLFormElement {
  const words = options.words ?? ENGLISH_COMPOSER_WORDS;
  const picker = el('input', { type: 'file', className: 'composer-file', hidden: true, tabindex: -1, 'aria-hidden': 'true' });
  const attach = el('button', { type: 'button', className: 'attach', 'aria-label': words.attachAFile, title: words.attachHint, text: words.attach });
  // The limit is not a maxlength: a pasted text would be cut without a word. It is said, and a longer one not sent.
  const count = el('p', { className: 'composer-limit', role: 'status', 'aria-live': 'polite' });
  count.hidden = true;
  const form = el('form', { className: options.className, 'aria-label': options.label }, attach, picker, input, el('button', { type: 'submit', className: options.buttonClass, text: words.send }), count);
  const number = (n: number): string => n.toLocaleString(options.locale);
  const showCount = (refused: boolean): void => {
    const { max } = options.limit;
    const length = [...input.value.trim()].length;
    count.hidden = length < max * NEAR_LIMIT && !refused;
    count.classList.toggle('composer-limit-over', length > max);
    count.textContent = length > max ? words.tooLong(number(max), number(length)) : words.charactersLeft(number(max - length));
  };
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
    if ([...content].length > options.limit.max) return showCount(true);
    input.value = '';
    showCount(false);
    actions.send(content);
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('input', () => {
    showCount(false);
    actions.keystroke();
  });
  return form;
}
