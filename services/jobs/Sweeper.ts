import { Op } from 'sequelize';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { Db } from '../../models/db';
import { SYSTEM } from '../access';
import { ConflictError } from '../errors';
import type { ChatService } from '../sessions/ChatService';
import { HEARTBEAT_MS, type PresenceService } from '../operators/PresenceService';
import type { Assigner } from '../routing/Assigner';

const TICK_MS = 1_000;
const BATCH = 50;

/**
 * The periodic work of one process: presence leases and the offline sweep, draining the queue (so a
 * waiting session never sits beside a free operator for more than a second, whatever trigger was missed),
 * requeueing sessions nobody answered, and closing idle ones. Every step is a conditional update, so with
 * several processes each change happens once.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastHeartbeat = 0;

  constructor(
    private readonly db: Db,
    private readonly chat: ChatService,
    private readonly assigner: Assigner,
    private readonly presence: PresenceService,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass; overlapping ticks are skipped rather than stacked. */
  tick(): Promise<void> {
    this.running ??= (async () => {
      try {
        if (Date.now() - this.lastHeartbeat >= HEARTBEAT_MS) {
          this.lastHeartbeat = Date.now();
          await this.presence.heartbeat();
        }
        await this.presence.sweep();
        await this.requeueUnanswered();
        await this.closeIdle();
        await this.assigner.drain();
      } catch (error) {
        this.logger.error({ err: error }, 'sweep failed');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** ASSIGNMENT_ACCEPT_TIMEOUT_SECONDS: an operator who has not replied in time loses the session. */
  private async requeueUnanswered(): Promise<void> {
    const seconds = this.config.assignmentAcceptTimeoutSeconds;
    if (seconds === 0) return;
    const cutoff = new Date(Date.now() - seconds * 1000);
    const sessions = await this.db.models.ChatSession.findAll({
      attributes: ['id', 'operatorId'],
      where: { status: 'active', firstResponseAt: null, assignedAt: { [Op.lt]: cutoff } },
      limit: BATCH,
    });
    // Decided again under the session's lock: an answer meanwhile, or a new assignment (even to the same
    // operator), keeps it where it is.
    const stillUnanswered = (row: { firstResponseAt: Date | null; assignedAt: Date | null }): boolean => row.firstResponseAt === null && row.assignedAt !== null && row.assignedAt < cutoff;
    for (const session of sessions) {
      if (session.operatorId === null || session.operatorId === undefined) continue;
      await this.assigner.requeue(session.id, Number(session.operatorId), `requeued: no reply in ${seconds} s`, { keepAway: true, onlyIf: stillUnanswered });
    }
  }

  /** SESSION_IDLE_TIMEOUT_MINUTES: active sessions with no message for that long are closed by the system. */
  private async closeIdle(): Promise<void> {
    const minutes = this.config.sessionIdleTimeoutMinutes;
    if (minutes === 0) return;
    const cutoff = new Date(Date.now() - minutes * 60_000);
    const sessions = await this.db.models.ChatSession.findAll({
      attributes: ['id'],
      // Idle since the later of the last message and the assignment (a long wait in the queue is not idleness).
      where: {
        status: 'active',
        assignedAt: { [Op.lt]: cutoff },
        [Op.or]: [{ lastMessageAt: null }, { lastMessageAt: { [Op.lt]: cutoff } }],
      },
      limit: BATCH,
    });
    for (const { id } of sessions) {
      // Decided again under the session's lock: a message or a close meanwhile leaves it be.
      await this.chat.closeIdle(SYSTEM, id, cutoff, `no message for ${minutes} minutes`).catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
      });
    }
  }
}

