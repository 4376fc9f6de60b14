import { UniqueConstraintError } from 'sequelize';
import validator from 'validator';
import type { Db } from '../../models/db';
import { deleteCanned, findCanned, insertCanned, selectCanned, updateCanned, type CannedChanges, type CannedRow } from '../../models/queries/canned';
import { isAdmin, requireOperator, type Actor } from '../access';
import type { CannedResponseDTO } from '../contract';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors';

export type { CannedChanges };

export interface NewCannedResponse {
  shortcut: string;
  content: string;
  scope: 'shared' | 'personal';
  department?: string;
}

/**
 * Saved replies (PROTOCOL.md "Canned responses"): the team's shared ones (admins write them) and each operator's
 * personal ones, a shortcut unique per owner. An operator never learns of another's personal ones (404); a shared
 * one is read by everyone and changed by admins only (403).
 */
export class CannedResponseService {
  constructor(
    private readonly db: Db,
    private readonly maxLength: number,
  ) {}

  /** An operator's list; the server itself (scripts) has no personal ones and sees the shared ones. */
  async list(actor: Actor, q?: string): Promise<CannedResponseDTO[]> {
    requireOperator(actor);
    return selectCanned(this.db, actor.kind === 'operator' ? actor.operatorId : null, q);
  }

  async create(actor: Actor, input: NewCannedResponse): Promise<CannedResponseDTO> {
    requireOperator(actor);
    if (actor.kind !== 'operator') throw new ForbiddenError('Operators only');
    if (input.scope === 'shared' && !isAdmin(actor)) throw new ForbiddenError('Only an admin may add a shared response');
    this.checkContent(input.content);
    const row: Omit<CannedRow, 'id'> = {
      shortcut: input.shortcut,
      content: input.content,
      scope: input.scope,
      department: input.department ?? null,
      ownerId: input.scope === 'personal' ? actor.operatorId : null,
    };
    const id = await this.unique(input.shortcut, () => insertCanned(this.db, row, new Date()));
    return { id, ...row };
  }

  async update(actor: Actor, id: number, changes: CannedChanges): Promise<CannedResponseDTO> {
    const row = await this.writable(actor, id);
    if (changes.content !== undefined) this.checkContent(changes.content);
    await this.unique(changes.shortcut ?? row.shortcut, () => updateCanned(this.db, id, changes, new Date()));
    const changed = await findCanned(this.db, id);
    // Deleted in between: as gone as if it had been gone before.
    if (!changed) throw new NotFoundError('Canned response not found');
    return changed;
  }

  async remove(actor: Actor, id: number): Promise<void> {
    await this.writable(actor, id);
    await deleteCanned(this.db, id);
  }

  /** The response, if this actor may change it: their own personal one, or a shared one for an admin. */
  private async writable(actor: Actor, id: number): Promise<CannedRow> {
    requireOperator(actor);
    const row = await findCanned(this.db, id);
    const mine = row !== null && actor.kind === 'operator' && row.scope === 'personal' && row.ownerId === actor.operatorId;
    if (!row || (row.scope === 'personal' && !mine)) throw new NotFoundError('Canned response not found');
    if (row.scope === 'shared' && !isAdmin(actor)) throw new ForbiddenError('Only an admin may change a shared response');
    return row;
  }

  /** Counted in characters, as messages are (the schema checks the same; this holds for every caller). */
  private checkContent(content: string): void {
    if (content.trim() === '' || !validator.isLength(content, { max: this.maxLength })) {
      throw new ValidationError('Invalid content', [{ field: 'content', message: `1 to ${this.maxLength} characters, not blank` }]);
    }
  }

  private async unique<T>(shortcut: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw new ConflictError('CONFLICT', `You already have a response with the shortcut ${shortcut}`);
      throw error;
    }
  }
}
