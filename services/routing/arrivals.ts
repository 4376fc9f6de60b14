import type { Logger } from 'pino';
import { ConnectionError, TimeoutError } from 'sequelize';
import { isRetryable } from '../../models/db';
import type { SessionDTO, SettingsDTO } from '../contract';
import type { CommitStep } from '../sessions/transitions/CommitStep';
import { createSessions, type ArrivalsPass, type NewSession } from '../sessions/transitions/create';
import type { Transitions } from '../sessions/transitions/pipeline';

/**
 * A new session as its request has it. Whether it is offline, and the team's mail about it, are settled with the
 * settings its group reads as it begins: one read per group, and still one that began after the arrival.
 */
export interface Arrival extends Omit<NewSession, 'offline' | 'offlineMail'> {
  settle: (settings: SettingsDTO) => Pick<NewSession, 'offline' | 'offlineMail'>;
}

interface Pending {
  session: Arrival;
  resolve: (session: SessionDTO) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for new sessions, as MessageWriter does for messages (DESIGN.md decisions 4 and 5). Sessions that
 * arrive while a group is being written wait and go together into the next one: one transaction inserts them
 * all and runs one routing pass for them, instead of a creation, a drain and a "queued" record each. Each caller's
 * promise resolves after its group's commit and publish, with its session as it stands then (assigned, or
 * waiting with its position). Groups are written one after another in a process; the processes' passes take
 * turns on the operators' row locks as every pass does.
 */
/**
 * Failures of the whole group, not of one arrival in it: the database away or out of time (deadlocks and lock
 * waits were already run again by Db.transaction). Each arrival written alone would only wait for the same.
 */
function groupWide(error: unknown): boolean {
  return error instanceof ConnectionError || error instanceof TimeoutError || isRetryable(error);
}

export class Arrivals {
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    private readonly transitions: Transitions,
    /** One routing pass over the queue's head, in the group's transaction. */
    private readonly route: (step: CommitStep) => Promise<ArrivalsPass>,
    /** How many sessions one pass looks at: a group never holds more, so one pass reaches every one of them. */
    private readonly passSize: number,
    /** Routing's drain, when a group's pass was full and older sessions may still fit free seats. */
    private readonly drain: () => Promise<void>,
    /** Sessions as they stand now (after such a drain, the group's answers are read again). */
    private readonly view: (ids: string[]) => Promise<SessionDTO[]>,
    /** What a session left waiting is recorded as queued for. */
    private readonly queueReason: string,
    private readonly settings: () => Promise<SettingsDTO>,
    private readonly logger: Logger,
  ) {}

  /** The new session, created and routed (SessionDTO as it stands after its group's commit). */
  admit(session: Arrival): Promise<SessionDTO> {
    return new Promise((resolve, reject) => {
      this.queue.push({ session, resolve, reject });
      // In the first caller's context: what a group tells carries that request's id (one arrival alone: its own).
      this.writing ??= this.writeGroups();
    });
  }

  /** Resolves once every session handed in so far is written (shutdown). */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async writeGroups(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.write(this.queue.splice(0, this.passSize));
    } finally {
      // Same synchronous step as the loop's last check: an admit() cannot slip in between and be missed.
      this.writing = null;
    }
  }

  private async write(group: Pending[]): Promise<void> {
    let settings: SettingsDTO;
    try {
      settings = await this.settings();
    } catch (error) {
      // Nothing any arrival holds: the group is refused whole, not written one by one.
      for (const pending of group) pending.reject(error);
      return;
    }
    try {
      const arrivals = group.map(({ session: { settle, ...session } }): NewSession => ({ ...session, ...settle(settings) }));
      const { sessions, morePossible } = await this.transitions.run((step) => createSessions(step, arrivals, this.route, this.queueReason, this.passSize));
      // The pass was full: free seats may remain for sessions behind its head, this group's among them. Each
      // customer is answered with the session as it stands once the queue has drained, as when they arrived alone.
      const stillWaiting = [...sessions.values()].filter((s) => s.status === 'waiting').map((s) => s.id);
      if (morePossible && stillWaiting.length > 0) {
        await this.drain();
        for (const session of await this.view(stillWaiting)) sessions.set(session.id, session);
      } else if (morePossible) void this.drain();
      for (const { session, resolve, reject } of group) {
        const shown = sessions.get(session.id);
        if (shown) resolve(shown);
        else reject(new Error(`arrivals: session ${session.id} missing from its group's result`));
      }
    } catch (error) {
      if (group.length === 1 || groupWide(error)) {
        for (const pending of group) pending.reject(error);
        return;
      }
      // One arrival's row may have failed the group: each is written alone, and only the one at fault is refused.
      this.logger.warn({ err: error, sessions: group.length }, 'arrivals: a group failed; writing each alone');
      for (const pending of group) await this.write([pending]);
    }
  }
}
