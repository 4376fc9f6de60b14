import type { Logger } from 'pino';
import { Op } from 'sequelize';
import { QUEUE_ORDER, findSessions } from '../../models/queries/sessions';
import type { Config, StrategyName } from '../../config';
import type { Db } from '../../models/db';
import type { StateCache } from '../cache/StateCache';
import type { SessionDTO, SettingsDTO } from '../contract';
import { getSession, sessionDTOs } from '../sessions/sessionViews';
import { claimSession, requireWaiting, type ClaimReason } from '../sessions/transitions/claim';
import type { Transitions } from '../sessions/transitions/pipeline';
import { requeueSession, type RequeueOptions } from '../sessions/transitions/requeue';
import { Arrivals, type Arrival } from './arrivals';
import { DrainRunner } from './drainRunner';
import { PASS_SIZE, routingPass, type PassAssignment } from './pass';

/**
 * The routing engine's front: draining the queue into free seats, routing one session on demand, and the two
 * transitions routing owns (a claim of a waiting session, a requeue). Each is atomic in the database
 * (DESIGN.md decision 4), so no operator goes over capacity and no session gets two operators, whatever the
 * number of processes.
 */
export class Assigner {
  private readonly runner: DrainRunner;
  private readonly arrivals: Arrivals;

  constructor(
    private readonly db: Db,
    private readonly transitions: Transitions,
    private readonly cache: StateCache,
    private readonly config: Config,
    /** The team's settings in force (SettingsService): each group of arrivals reads them once. */
    settings: () => Promise<SettingsDTO>,
    private readonly logger: Logger,
  ) {
    this.runner = new DrainRunner(async () => {
      const pass = await this.transitions.run((step) => routingPass(step, this.cache, this.config, { strategy: this.config.assignmentStrategy }));
      return pass.assignments.length > 0 && pass.considered === PASS_SIZE;
    }, logger);
    const queueReason = config.assignmentStrategy === 'manual' ? 'manual routing: waiting for an operator to take it' : 'no operator available';
    this.arrivals = new Arrivals(
      transitions,
      (step) => routingPass(step, this.cache, this.config, { strategy: this.config.assignmentStrategy }),
      PASS_SIZE,
      () => this.drain(),
      async (ids) => sessionDTOs(this.db, await findSessions(this.db, { id: { [Op.in]: ids } }, QUEUE_ORDER)),
      queueReason,
      settings,
      logger,
    );
  }

  /**
   * A new session, queued and routed with every other arrival of the moment (arrivals.ts): assigned, unless the
   * free seats went to sessions that were waiting before it.
   */
  arrive(session: Arrival): Promise<SessionDTO> {
    return this.arrivals.admit(session);
  }

  /** Hands every free seat to the oldest eligible waiting sessions (see DrainRunner). */
  drain(): Promise<void> {
    return this.runner.drain();
  }

  async idle(): Promise<void> {
    await this.arrivals.idle();
    await this.runner.idle();
  }

  /** Gives a waiting session to one operator (ALREADY_ASSIGNED, SESSION_CLOSED, OPERATOR_AT_CAPACITY otherwise). */
  claim(sessionId: string, operatorId: number, why: ClaimReason): Promise<SessionDTO> {
    return this.transitions.run((step) => claimSession(step, sessionId, operatorId, why));
  }

  /**
   * Routes one waiting session now, wherever it stands in the queue, by a strategy: a routing pass limited to
   * it, so the same rules choose (previous operator of a returning customer first, then the strategy's order)
   * and the same locks keep it atomic against every other pass. Null when nobody can take it now; when it
   * is not waiting, the conflict says what it is.
   */
  async route(sessionId: string, strategy: StrategyName = this.config.assignmentStrategy): Promise<PassAssignment | null> {
    requireWaiting(await getSession(this.db, sessionId));
    const pass = await this.transitions.run((step) => routingPass(step, this.cache, this.config, { strategy, sessionId }));
    return pass.assignments[0] ?? null;
  }

  /**
   * Every active session of an operator back to the queue, where they can no longer answer (gone offline,
   * disabled): they may take them again once back. One that cannot be moved now (a lock timeout while a host
   * fails) is logged, and does not keep the others where they are.
   */
  async requeueAll(operatorId: number, reason: string): Promise<void> {
    const sessions = await this.db.models.ChatSession.findAll({ attributes: ['id'], where: { operatorId, status: 'active' } });
    for (const { id } of sessions) {
      await this.requeue(id, operatorId, reason, { keepAway: false }).catch((error: unknown) => this.logger.error({ err: error, sessionId: id, operatorId }, 'requeue failed'));
    }
  }

  /** Takes a session from its operator to the head of the queue; null when another change came first. */
  requeue(sessionId: string, operatorId: number, reason: string, options: RequeueOptions): Promise<SessionDTO | null> {
    return this.transitions.run((step) => requeueSession(step, sessionId, operatorId, reason, options));
  }
}
