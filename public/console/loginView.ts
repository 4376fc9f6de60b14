import { el, field } from '../shared/dom';

/** The login form; `onSubmit` resolves to an error message to show, or null once logged in. */
export function loginView(onSubmit: (email: string, password: string) => Promise<string | null>, problem: string | null = null): HTMLElement {
  const email = el('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = el('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const error = el('p', { className: 'error', role: 'alert', text: problem });
  error.hidden = problem === null;
  const submit = el('button', { type: 'submit', className: 'primary', text: 'Log in' });
  const form = el(
    'form',
    { className: 'login', 'aria-labelledby': 'login-title' },
    el('h1', { id: 'login-title', text: 'Operator console' }),
    field('Email', email),
    field('Password', password),
    error,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    void onSubmit(email.value.trim(), password.value).then((problem) => {
      submit.disabled = false;
      if (problem) {
        error.textContent = problem;
        error.hidden = false;
        password.select();
      }
    });
  });
  queueMicrotask(() => email.focus());
  return el('main', { className: 'login-page' }, form);
}
