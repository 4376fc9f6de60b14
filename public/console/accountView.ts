import { el, field } from '../shared/dom';
import { ApiError } from '../shared/http';
import type { Operator } from '../shared/protocol';
import type { Login } from './auth';

export interface AccountActions {
  /** PUT /api/auth/password; the answer's token replaces this tab's (every other one ended). */
  changePassword(currentPassword: string, newPassword: string): Promise<Login>;
  /** An admin's own name (PATCH /api/operators/:id): customers see it. */
  rename(name: string): Promise<Operator>;
}

/** The signed-in operator's own account: their password, and for admins their name. */
export class AccountView {
  readonly root: HTMLElement;
  private readonly current = el('input', { type: 'password', name: 'current-password', autocomplete: 'current-password', required: true, maxlength: 200 });
  private readonly next = el('input', { type: 'password', name: 'new-password', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 200 });
  private readonly again = el('input', { type: 'password', name: 'new-password-again', autocomplete: 'new-password', required: true, minlength: 8, maxlength: 200 });
  private readonly passwordStatus = el('p', { className: 'form-status', role: 'status' });
  private readonly name = el('input', { type: 'text', name: 'my-name', maxlength: 120, required: true });
  private readonly nameStatus = el('p', { className: 'form-status', role: 'status' });

  constructor(
    me: Operator,
    private readonly actions: AccountActions,
  ) {
    const password = el(
      'form',
      { className: 'panel account-form', 'aria-labelledby': 'password-title', novalidate: true },
      el('h2', { id: 'password-title', text: 'Change my password' }),
      field('Current password', this.current),
      field('New password', this.next, 'at least 8 characters'),
      field('New password again', this.again),
      el('button', { type: 'submit', className: 'primary small', text: 'Change password' }),
      this.passwordStatus,
    );
    password.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.changePassword();
    });
    this.name.value = me.name;
    const name = el(
      'form',
      { className: 'panel account-form', 'aria-labelledby': 'name-title', novalidate: true },
      el('h2', { id: 'name-title', text: 'My name' }),
      field('Name', this.name, 'customers see it beside your messages'),
      el('button', { type: 'submit', className: 'primary small', text: 'Save name' }),
      this.nameStatus,
    );
    name.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.rename();
    });
    name.hidden = me.role !== 'admin';
    this.root = el('section', { className: 'screen account', 'aria-label': 'My account' }, name, password);
  }

  /** Puts the cursor in the name: the first-run admin is asked to set theirs. */
  askName(): void {
    this.say(this.nameStatus, 'Customers see your name: please set it.', false);
    this.name.select();
  }

  private async changePassword(): Promise<void> {
    if (this.next.value !== this.again.value) return this.say(this.passwordStatus, 'The two new passwords differ.', true);
    try {
      await this.actions.changePassword(this.current.value, this.next.value);
      for (const input of [this.current, this.next, this.again]) input.value = '';
      this.say(this.passwordStatus, 'Password changed. Every other place you were logged in has been logged out.', false);
    } catch (error) {
      const wrong = error instanceof ApiError && error.status === 401;
      const details = error instanceof ApiError ? error.details.map((d) => d.message) : [];
      this.say(this.passwordStatus, wrong ? 'The current password is wrong.' : [error instanceof Error ? error.message : 'The password could not be changed.', ...details].join(' — '), true);
      if (wrong) this.current.select();
    }
  }

  private async rename(): Promise<void> {
    try {
      const me = await this.actions.rename(this.name.value.trim());
      this.name.value = me.name;
      this.say(this.nameStatus, 'Saved.', false);
    } catch (error) {
      const details = error instanceof ApiError ? error.details.map((d) => d.message) : [];
      this.say(this.nameStatus, [error instanceof Error ? error.message : 'The name could not be saved.', ...details].join(' — '), true);
    }
  }

  private say(node: HTMLElement, text: string, problem: boolean): void {
    node.textContent = text;
    node.classList.toggle('error', problem);
  }
}
