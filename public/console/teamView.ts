import { el, replaceChildren } from '../shared/dom';
import { shortDuration } from '../shared/format';
import type { Operator, OperatorStats } from '../shared/protocol';

/** For admins: every operator with live status and load, and GET /api/operators/stats. */
export class TeamView {
  readonly root: HTMLElement;
  private readonly overall = el('dl', { className: 'overall' });
  private readonly rows = el('tbody');

  constructor(refresh: () => void) {
    const button = el('button', { type: 'button', className: 'secondary small', text: 'Refresh' });
    button.addEventListener('click', refresh);
    const headers = ['Operator', 'Status', 'Load', 'Closed today', 'Avg first response', 'Avg rating'];
    this.root = el(
      'section',
      { className: 'panel team', 'aria-labelledby': 'team-title' },
      el('div', { className: 'panel-head' }, el('h2', { id: 'team-title', text: 'Team' }), button),
      this.overall,
      el('div', { className: 'table-wrap' }, el('table', {}, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', { scope: 'col', text: h })))), this.rows)),
    );
  }

  render(operators: Operator[], stats: OperatorStats | null): void {
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
        return el(
          'tr',
          { 'data-operator': operator.id },
          el('th', { scope: 'row', text: operator.name }),
          el('td', {}, el('span', { className: `status status-${operator.status}`, text: operator.status })),
          el('td', { text: `${operator.activeSessions}/${operator.maxConcurrentSessions}` }),
          el('td', { text: figures ? String(figures.closedToday) : '—' }),
          el('td', { text: shortDuration(figures?.avgFirstResponseSeconds ?? null) }),
          el('td', { text: figures?.avgRating == null ? '—' : figures.avgRating.toFixed(1) }),
        );
      }),
    );
  }
}
