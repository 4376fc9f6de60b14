import { Op, literal } from 'sequelize';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import type { Db } from '../../models/db';
import type { DomainEvents } from '../events/DomainEvents';
import { toOperatorDTO } from '../dto';
import type { OperatorCache } from '../cache/OperatorCache';
import type { Assigner } from '../routing/Assigner';

/** How often a process renews the leases of the operators connected to it, and how long a lease lasts. */
export const HEARTBEAT_MS = 5_000;
export const LEASE_MS = 3 * HEARTBEAT_MS;
/** REST calls count as a sign of life too, at most this often per operator and process. */
const TOUCH_THROTTLE_MS = 5_000;

/**
 * Operator presence (PROTOCOL.md invariant 4). Each process counts the live connections it holds per
 * operator and keeps their lease (`present_until`) in the database pushed forward. An operator whose lease
 * has run out for longer than OPERATOR_PRESENCE_GRACE_SECONDS is set offline by whichever process sweeps
 * first (a conditional UPDATE, so once); routing stops sending them chats at once, and with
 * REQUEUE_ON_OFFLINE their active sessions go back to the queue. The Socket.IO layer only calls
 * `connected` and `disconnected`.
 */
export class PresenceService {
  private readonly connections = new Map<number, number>();
  private readonly touched = new Map<number, number>();

  constructor(
    private readonly db: Db,
    private readonly operatorCache: OperatorCache,
    private readonly assigner: Assigner,
    private readonly events: DomainEvents,
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  async connected(operatorId: number): Promise<void> {
    this.connections.set(operatorId, (this.connections.get(operatorId) ?? 0) + 1);
    await this.renew([operatorId], true);
  }

  /**
   * The last connection of this process for the operator ends the lease now; the grace period starts, and routing
   * passes them by until a connection is back (here, or on another process at its next heartbeat).
   */
  async disconnected(operatorId: number): Promise<void> {
    const left = (this.connections.get(operatorId) ?? 1) - 1;
    if (left > 0) {
      this.connections.set(operatorId, left);
      return;
    }
    this.connections.delete(operatorId);
    this.touched.delete(operatorId);
    const now = new Date();
    const { Operator } = this.db.models;
    await this.db.retrying(undefined, () => Operator.update({ disconnectedAt: now }, { where: { id: operatorId }, silent: true }));
    await Operator.update({ presentUntil: now, lastSeenAt: now }, { where: { id: operatorId, presentUntil: { [Op.gt]: now } } });
  }

  isConnectedHere(operatorId: number): boolean {
    return this.connections.has(operatorId);
  }

  /** A sign of life from a REST call or a status change: renews the lease, throttled. */
  async touch(operatorId: number): Promise<void> {
    const last = this.touched.get(operatorId) ?? 0;
    if (Date.now() - last < TOUCH_THROTTLE_MS) return;
    this.touched.set(operatorId, Date.now());
    await this.renew([operatorId], false);
  }

  /** Renews the lease of every operator connected to this process (called every HEARTBEAT_MS). */
  async heartbeat(): Promise<void> {
    if (this.connections.size > 0) await this.renew([...this.connections.keys()], true);
  }

  /** Sets offline every operator whose lease ran out more than the grace period ago; returns their ids. */
  async sweep(): Promise<number[]> {
    const { Operator } = this.db.models;
    const cutoff = new Date(Date.now() - this.config.operatorPresenceGraceSeconds * 1000);
    const gone = { status: { [Op.ne]: 'offline' }, [Op.or]: [{ presentUntil: null }, { presentUntil: { [Op.lt]: cutoff } }] };
    const stale = await Operator.findAll({ attributes: ['id', 'status'], where: gone });
    const wentOffline: number[] = [];
    // Every one of them offline first, then their chats back in the queue: the operators of a host that died
    // expire together, and a chat requeued from one must not be routed to the next one still marked online.
    for (const { id, status } of stale) {
      if (this.connections.has(id)) continue;
      const [rows] = await Operator.update({ status: 'offline', version: literal('version + 1') }, { where: { id, ...gone } });
      if (rows !== 1) continue;
      wentOffline.push(id);
      const operator = await this.operatorCache.refreshOne(id);
      this.logger.info({ operatorId: id }, 'operator offline: no connection within the grace period');
      this.events.emit('operator.status_changed', { operator: toOperatorDTO(operator), previous: status });
    }
    if (!this.config.requeueOnOffline) return wentOffline;
    for (const id of wentOffline) await this.assigner.requeueAll(id, 'requeued: operator went offline');
    return wentOffline;
  }

  /** `connected`: they hold a connection here, so routing may send them chats again (a REST call is no connection). */
  private async renew(operatorIds: number[], connected: boolean): Promise<void> {
    const now = Date.now();
    const lease = { presentUntil: new Date(now + LEASE_MS), lastSeenAt: new Date(now) };
    // One statement of its own, on rows routing passes lock too: chosen as a deadlock's victim, it simply runs again.
    await this.db.retrying(undefined, () =>
      this.db.models.Operator.update(connected ? { ...lease, disconnectedAt: null } : lease, { where: { id: { [Op.in]: operatorIds } }, silent: true }),
    );
  }
}
