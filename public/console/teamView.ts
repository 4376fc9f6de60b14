import { el, replaceChildren } from '../shared/dom';
import { shortDuration } from '../shared/format';
import type { Operator, OperatorStats } from '../shared/protocol';
import { keepingFocus, table } from './table';
import { OperatorForm, type OperatorFormActions } from './operatorForm';

export interface TeamActions extends Omit<OperatorFormActions, 'refocus'> {
  /** Disables or enables an operator (PATCH … {disabled}); the team is drawn again from the answer. */
  setDisabled(operator: Operator, disabled: boolean): void;
}

/**
 * For admins: the team with live status, load and today's figures (kept current by the console's events), and
 * its administration: add an operator, change one (name, role, capacity, departments, a new password), disable
 * and enable.
 */
export class TeamView {
  readonly root: HTMLElement;
  private readonly overall = el('dl', { className: 'overall' });
  private readonly rows = el('tbody');
  private readonly form: OperatorForm;

  constructor(private readonly actions: TeamActions) {
    this.form = new OperatorForm({
      save: (id, change) => actions.save(id, change),
      saved: (operator, created) => actions.saved(operator, created),
      refocus: (opener) => {
        const name = opener.getAttribute('aria-label') ?? opener.textContent;
        const twin = opener.isConnected ? opener : Array.from(this.root.querySelectorAll<HTMLButtonElement>('button')).find((b) => (b.getAttribute('aria-label') ?? b.textContent) === name);
        twin?.focus();
      },
    });
    const add = el('button', { type: 'button', className: 'primary small', text: 'Add an operator' });
    add.addEventListener('click', () => this.form.open(null, add));
    const headers = ['Operator', 'Role', 'Status', 'Load', 'Departments', 'Closed today', 'Avg first response', 'Avg rating', 'Actions'];
    this.root = el(
      'section',
      { className: 'screen team', 'aria-labelledby': 'team-title' },
      el(
        'div',
        { className: 'panel' },
        el('div', { className: 'panel-head' }, el('h2', { id: 'team-title', text: 'Team' }), add),
        this.overall,
        table(headers, this.rows),
      ),
      this.form.root,
    );
  }

  render(operators: Operator[], stats: OperatorStats | null): void {
    keepingFocus(this.rows, () => this.draw(operators, stats));
  }

  private draw(operators: Operator[], stats: OperatorStats | null): void {
    const byId = new Map(stats?.operators.map((s) => [s.operatorId, s]));
    if (stats) {
      const { waiting, active, avgWaitSeconds } = stats.overall;
      replaceChildren(
        this.overall,
        ...[
          ['Waiting', String(waiting)],
          ['Active', String(active)],
          ['Avg wait today', shortDuration(avgWaitSeconds)],
        ].flatMap(([term, value]) => [el('dt', { text: term }), el('dd', { text: value })]),
      );
    }
    replaceChildren(
      this.rows,
      ...operators.map((operator) => {
        const figures = byId.get(operator.id);
        const edit = el('button', { type: 'button', className: 'secondary small', text: 'Edit', 'aria-label': `Edit ${operator.name}` });
        edit.addEventListener('click', () => this.form.open(operator, edit));
        const toggle = el('button', { type: 'button', className: 'secondary small', text: operator.disabled ? 'Enable' : 'Disable', 'aria-label': `${operator.disabled ? 'Enable' : 'Disable'} ${operator.name}` });
        toggle.addEventListener('click', () => {
          toggle.disabled = true;
          this.actions.setDisabled(operator, !operator.disabled);
        });
        return el(
          'tr',
          { 'data-operator': operator.id, className: operator.disabled ? 'row-disabled' : null },
          el('th', { scope: 'row' }, operator.name, el('span', { className: 'muted', text: ` ${operator.email}` })),
          el('td', { text: operator.role }),
          el('td', {}, el('span', { className: `status status-${operator.status}`, text: operator.disabled ? 'disabled' : operator.status })),
          el('td', { text: `${operator.activeSessions}/${operator.maxConcurrentSessions}` }),
          el('td', { text: operator.departments.join(', ') || '—' }),
          el('td', { text: figures ? String(figures.closedToday) : '—' }),
          el('td', { text: shortDuration(figures?.avgFirstResponseSeconds ?? null) }),
          el('td', { text: figures?.avgRating == null ? '—' : figures.avgRating.toFixed(1) }),
          el('td', { className: 'row-actions' }, edit, toggle),
        );
      }),
    );
  }
}
