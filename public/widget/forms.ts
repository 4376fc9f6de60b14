import { el, field } from '../shared/dom';

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

/**
 * The start form while someone is online (optional first message), or the "leave a message" form when nobody
 * is (the message is required: it is the whole point).
 */
/**
 * `closedUntil`: outside business hours, when they open again (null: not known); undefined while within them
 * (the offline form then says nobody is online).
 */
export function startForm(kind: 'chat' | 'leave-message', departments: string[], onSubmit: (fields: StartFields) => void, closedUntil?: Date | null): FormView {
  const offline = kind === 'leave-message';
  const name = el('input', { type: 'text', name: 'name', autocomplete: 'name', required: true, maxlength: 120 });
  const email = el('input', { type: 'email', name: 'email', autocomplete: 'email', required: true, maxlength: 191 });
  const department = el('select', { name: 'department' }, el('option', { value: '', text: 'Any' }), ...departments.map((d) => el('option', { value: d, text: d })));
  const message = el('textarea', { name: 'message', rows: 3, maxlength: 5000, required: offline });
  const submit = el('button', { type: 'submit', className: 'lc-primary', text: offline ? 'Send message' : 'Start chat' });
  const error = el('p', { className: 'lc-error', role: 'alert' });
  error.hidden = true;

  const root = el(
    'form',
    { className: 'lc-form', 'aria-label': offline ? 'Leave a message' : 'Start a chat' },
    el('h3', { className: 'lc-form-title', text: offline ? 'Leave a message' : 'Start a chat' }),
    el('p', {
      className: 'lc-intro',
      text: offline ? `${closedLine(closedUntil)} Leave a message and we'll get back to you by email.` : 'Tell us who you are and an operator will be with you shortly.',
    }),
    field('Name', name),
    field('Email', email),
    departments.length > 0 ? field('Department (optional)', department) : null,
    field(offline ? 'Message' : 'How can we help? (optional)', message),
    error,
    submit,
  );
  root.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    onSubmit({
      customerName: name.value.trim(),
      customerEmail: email.value.trim(),
      department: department.value || null,
      message: message.value.trim() || null,
    });
  });
  return formView(root, error, submit);
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
export function ratingForm(onSubmit: (rating: number, comment: string | null) => void): FormView {
  const stars = [1, 2, 3, 4, 5].map((n) => {
    const input = el('input', { type: 'radio', name: 'rating', value: n, required: true, 'aria-label': n === 1 ? '1 star' : `${n} stars` });
    return el('label', { className: 'lc-star', title: n === 1 ? '1 star' : `${n} stars` }, input, el('span', { 'aria-hidden': 'true', text: '★' }));
  });
  const comment = el('textarea', { name: 'comment', rows: 2, maxlength: 1000 });
  const submit = el('button', { type: 'submit', className: 'lc-primary', text: 'Send rating' });
  const error = el('p', { className: 'lc-error', role: 'alert' });
  error.hidden = true;
  const root = el(
    'form',
    { className: 'lc-form lc-rating', 'aria-label': 'Rate this chat' },
    el('fieldset', {}, el('legend', { text: 'How was this chat?' }), el('div', { className: 'lc-stars' }, ...stars)),
    field('Comment (optional)', comment),
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
function closedLine(closedUntil: Date | null | undefined): string {
  if (closedUntil === undefined) return 'Nobody is online right now.';
  if (closedUntil === null) return "We're closed right now.";
  const soon = closedUntil.getTime() - Date.now() < 6 * 86_400_000;
  const when = closedUntil.toLocaleString(undefined, soon ? { weekday: 'long', hour: '2-digit', minute: '2-digit' } : { dateStyle: 'medium', timeStyle: 'short' });
  return `We're closed right now and open again ${soon ? 'on ' : ''}${when}.`;
}
