import type { Operator, OperatorStats } from '../shared/protocol';
import type { ConsoleContext } from './context';

/**
 * Status changes and the queue's movements are pushed and redraw the team at once; an operator's own closes are
 * not pushed to the others, so the figures are also read again this often.
 */
const TEAM_REFRESH_MS = 10_000;

/** The other operators: transfer targets for everyone, and for admins the team table with its figures. */
export class TeamRefresh {
  private operators: Operator[] = [];
  private stats: OperatorStats | null = null;
  private timers: Array<ReturnType<typeof setInterval>> = [];

  constructor(private readonly ctx: ConsoleContext) {}

  /** With the main screen: an admin's team table starts refreshing itself. */
  start(): void {
    if (this.ctx.views?.team) this.timers.push(setInterval(() => void this.refreshTeam(), TEAM_REFRESH_MS));
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  refreshOperatorsSoon(): void {
    this.ctx.soon('operators', () => this.refreshOperators());
  }

  /** After an event that moves the figures (a status, the queue): the admin's team table, once per burst. */
  refreshTeamSoon(): void {
    if (this.ctx.views?.team) this.ctx.soon('team', () => this.refreshTeam());
  }

  /** The operators as last read (names for the audit trail, choices for filters). */
  known(): Operator[] {
    return this.operators;
  }

  async refreshOperators(): Promise<void> {
    const { ctx } = this;
    if (!ctx.views || !ctx.me) return;
    this.operators = await ctx.http.call<Operator[]>('GET', '/api/operators');
    ctx.views.conversation.setTargets(this.operators, ctx.me.id);
    ctx.views.team?.render(this.operators, this.stats);
    ctx.views.queue.setMe(this.operators.find((o) => o.id === ctx.me?.id) ?? ctx.me);
  }

  async refreshTeam(): Promise<void> {
    const team = this.ctx.views?.team;
    if (!team) return;
    const [operators, stats] = await Promise.all([this.ctx.http.call<Operator[]>('GET', '/api/operators'), this.ctx.http.call<OperatorStats>('GET', '/api/operators/stats')]);
    this.operators = operators;
    this.stats = stats;
    team.render(operators, stats);
  }
}
