import { el, field } from '../shared/dom';
import { refusal } from './describe';
import type { Operator } from '../shared/protocol';

/** What the form sends: POST /api/operators (a new one) or PATCH /api/operators/:id (only what changed). */
export type OperatorChange = Record<string, string | number | boolean | string[]>;

export interface OperatorFormActions {
  /** Creates (`id` null) or changes an operator; throws what the server refused. */
  save(id: number | null, change: OperatorChange): Promise<Operator>;
  saved(operator: Operator, created: boolean): void;
  /** Puts the focus back on the button that opened the form, or its redrawn twin. */
  refocus(opener: HTMLElement): void;
}

const departmentsOf = (text: string): string[] =>
  text
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);

/**
 * Adding a colleague or changing one: name, email (when new), role, how many chats at once, departments,
 * a password (required when new; when changing, a reset that ends their sessions), disabled. The server checks
 * everything and its refusals are shown beside the form, field by field.
 */
export class OperatorForm {
  readonly root: HTMLFormElement;
  private readonly title = el('h3', { tabindex: -1 });
  private readonly name = el('input', { type: 'text', name: 'op-name', maxlength: 120, required: true, autocomplete: 'off' });
  private readonly email = el('input', { type: 'email', name: 'op-email', maxlength: 191, autocomplete: 'off' });
  private readonly emailField = field('Email', this.email);
  private readonly password = el('input', { type: 'password', name: 'op-password', minlength: 8, maxlength: 200, autocomplete: 'new-password' });
  private readonly passwordField: HTMLLabelElement;
  private readonly role = el('select', { name: 'op-role' }, el('option', { value: 'operator', text: 'Operator' }), el('option', { value: 'admin', text: 'Admin' }));
  private readonly capacity = el('input', { type: 'number', name: 'op-capacity', min: 1, max: 100, value: 5 });
  private readonly departments = el('input', { type: 'text', name: 'op-departments', placeholder: 'sales, billing', autocomplete: 'off' });
  private readonly disabled = el('input', { type: 'checkbox', name: 'op-disabled' });
  private readonly disabledField = el('label', { className: 'check' }, this.disabled, el('span', { text: 'Disabled (cannot log in, gets no chats)' }));
  private readonly problem = el('p', { className: 'error', role: 'alert' });
  private editing: Operator | null = null;
  private opener: HTMLElement | null = null;

  constructor(private readonly actions: OperatorFormActions) {
    this.passwordField = field('Password', this.password, 'at least 8 characters');
    const cancel = el('button', { type: 'button', className: 'secondary small', text: 'Cancel' });
    cancel.addEventListener('click', () => this.close());
    this.root = el(
      'form',
      { className: 'panel operator-form', 'aria-label': 'Operator details', novalidate: true },
      this.title,
      field('Name', this.name, 'customers see it'),
      this.emailField,
      this.passwordField,
      field('Role', this.role),
      field('Chats at once', this.capacity),
      field('Departments (comma separated)', this.departments),
      this.disabledField,
      this.problem,
      el('div', { className: 'form-buttons' }, el('button', { type: 'submit', className: 'primary small', text: 'Save' }), cancel),
    );
    this.root.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.root.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
    this.close();
  }

  /** A new operator (null) or one to change; `opener` gets the focus back when the form closes. */
  open(operator: Operator | null, opener: HTMLElement): void {
    this.editing = operator;
    this.opener = opener;
    this.root.hidden = false;
    this.problem.hidden = true;
    this.title.textContent = operator ? `Change ${operator.name}` : 'Add an operator';
    this.name.value = operator?.name ?? '';
    this.email.value = operator?.email ?? '';
    this.emailField.hidden = operator !== null;
    this.email.required = operator === null;
    this.password.value = '';
    this.password.required = operator === null;
    this.passwordField.querySelector('.field-label')?.replaceChildren(operator ? 'New password (leave empty to keep theirs)' : 'Password');
    this.role.value = operator?.role ?? 'operator';
    this.capacity.value = String(operator?.maxConcurrentSessions ?? 5);
    this.departments.value = operator?.departments.join(', ') ?? '';
    this.disabled.checked = operator?.disabled ?? false;
    this.disabledField.hidden = operator === null;
    this.name.focus();
  }

  close(): void {
    const wasOpen = !this.root.hidden;
    this.editing = null;
    this.root.hidden = true;
    // The opener's row may have been drawn again meanwhile: then its button of the same name.
    if (wasOpen && this.opener) this.actions.refocus(this.opener);
  }

  private async submit(): Promise<void> {
    const before = this.editing;
    const wanted: OperatorChange = {
      name: this.name.value.trim(),
      role: this.role.value,
      maxConcurrentSessions: Number(this.capacity.value),
      departments: departmentsOf(this.departments.value),
    };
    let change: OperatorChange;
    if (before) {
      change = {};
      if (wanted.name !== before.name) change.name = wanted.name;
      if (wanted.role !== before.role) change.role = wanted.role;
      if (wanted.maxConcurrentSessions !== before.maxConcurrentSessions) change.maxConcurrentSessions = wanted.maxConcurrentSessions;
      if ((wanted.departments as string[]).join(',') !== before.departments.join(',')) change.departments = wanted.departments;
      if (this.disabled.checked !== before.disabled) change.disabled = this.disabled.checked;
      if (this.password.value) change.password = this.password.value;
      if (Object.keys(change).length === 0) return this.close();
    } else {
      change = { ...wanted, email: this.email.value.trim(), password: this.password.value };
    }
    try {
      const saved = await this.actions.save(before?.id ?? null, change);
      this.close();
      this.actions.saved(saved, before === null);
    } catch (error) {
      this.problem.textContent = refusal(error, 'The operator could not be saved.');
      this.problem.hidden = false;
    }
  }
}
