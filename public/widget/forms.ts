import { el, field } from '../shared/dom';
import type { Locale } from './i18n';
import type { RememberedCustomer } from './storage';
import type { Words } from './words';

export interface StartFields {
  customerName: string;
  customerEmail: string;
  department: string | null;
  message: string | null;
}

export interface FormView {
  root: HTMLFormElement;
  /** Shows a problem under the form and re-enables it. */
  fail(message: string): void;
}

export interface StartFormView extends FormView {
  /** Puts the cursor in the first field left to fill (the message, when the name and email were remembered). */
  focus(): void;
}

export interface StartFormOptions {
  departments: string[];
  locale: Locale;
  /** The name and email of the last chat started here, filled in. */
  remembered: RememberedCustomer | null;
  onSubmit(fields: StartFields): void;
}

/**
 * The start form while someone is online (optional first message), or the "leave a message" form when nobody
 * is (the message is required: it is the whole point). `closedUntil`: outside business hours, when they open
 * again (null: not known); undefined while within them (the offline form then says nobody is online).
 */
export function startForm(kind: 'chat' | 'leave-message', options: StartFormOptions, closedUntil?: Date | null): StartFormView {
  const { departments, locale, remembered } = options;
  const { words } = locale;
  const offline = kind === 'leave-message';
  // dir="auto": a name or message in another script than the widget's reads in its own direction.
  const name = el('input', { type: 'text', name: 'name', autocomplete: 'name', required: true, maxlength: 120, dir: 'auto' });
  const email = el('input', { type: 'email', name: 'email', autocomplete: 'email', required: true, maxlength: 191, dir: 'ltr' });
  name.value = remembered?.customerName ?? '';
  email.value = remembered?.customerEmail ?? '';
  const department = el('select', { name: 'department' }, el('option', { value: '', text: words.anyDepartment }), ...departments.map((d) => el('option', { value: d, text: d })));
  const message = el('textarea', { name: 'message', rows: 3, maxlength: 5000, required: offline, dir: 'auto' });
  const submit = el('button', { type: 'submit', className: 'lc-primary', text: offline ? words.leaveButton : words.startButton });
  const error = el('p', { className: 'lc-error', role: 'alert' });
  error.hidden = true;

  const root = el(
    'form',
    { className: 'lc-form', 'aria-label': offline ? words.leaveTitle : words.startTitle },
    el('h3', { className: 'lc-form-title', text: offline ? words.leaveTitle : words.startTitle }),
    el('p', { className: 'lc-intro', text: offline ? words.leaveIntro(closedLine(locale, closedUntil)) : words.startIntro }),
    field(words.name, name),
    field(words.email, email),
    departments.length > 0 ? field(words.department, department) : null,
    field(offline ? words.message : words.howCanWeHelp, message),
    error,
    submit,
  );
  root.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    options.onSubmit({
      customerName: name.value.trim(),
      customerEmail: email.value.trim(),
      department: department.value || null,
      message: message.value.trim() || null,
    });
  });
  return {
    ...formView(root, error, submit),
    focus: () => ([name, email].find((control) => control.value === '') ?? message).focus(),
  };
}

/** A form that shows why the server refused it and lets the person try again. */
function formView(root: HTMLFormElement, error: HTMLElement, submit: HTMLButtonElement): FormView {
  return {
    root,
    fail(text) {
      error.textContent = text;
      error.hidden = false;
      submit.disabled = false;
    },
  };
}

/** 1–5 stars and an optional comment, once the chat is closed. */
export function ratingForm(words: Words, onSubmit: (rating: number, comment: string | null) => void): FormView {
  const stars = [1, 2, 3, 4, 5].map((n) => {
    const input = el('input', { type: 'radio', name: 'rating', value: n, required: true, 'aria-label': words.stars(n) });
    return el('label', { className: 'lc-star', title: words.stars(n) }, input, el('span', { 'aria-hidden': 'true', text: '★' }));
  });
  const comment = el('textarea', { name: 'comment', rows: 2, maxlength: 1000, dir: 'auto' });
  const submit = el('button', { type: 'submit', className: 'lc-primary', text: words.sendRating });
  const error = el('p', { className: 'lc-error', role: 'alert' });
  error.hidden = true;
  const root = el(
    'form',
    { className: 'lc-form lc-rating', 'aria-label': words.rateThisChat },
    el('fieldset', {}, el('legend', { text: words.howWasThisChat }), el('div', { className: 'lc-stars' }, ...stars)),
    field(words.comment, comment),
    error,
    submit,
  );
  root.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = root.querySelector<HTMLInputElement>('input[name="rating"]:checked');
    if (!chosen) return;
    submit.disabled = true;
    onSubmit(Number(chosen.value), comment.value.trim() || null);
  });
  return formView(root, error, submit);
}

/** Why there is nobody to chat with: closed (and until when, in the visitor's own time), or nobody online. */
function closedLine(locale: Locale, closedUntil: Date | null | undefined): string {
  const { words } = locale;
  if (closedUntil === undefined) return words.nobodyOnline;
  if (closedUntil === null) return words.closedNow;
  const soon = closedUntil.getTime() - Date.now() < 6 * 86_400_000;
  return words.openAgain(locale.opening(closedUntil, soon), soon);
}
