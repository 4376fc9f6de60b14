import { SignJWT, jwtVerify } from 'jose';
import { literal } from 'sequelize';
import type { Db } from '../../models/db';
import type { OperatorRole } from '../../models';
import { UnauthenticatedError } from '../errors';
import { requireOperator, type Actor, type Authenticator } from '../access';
import type { ChatService } from '../sessions/ChatService';
import type { DomainEvents } from '../events/DomainEvents';
import type { LoginResult } from '../contract';
import { toOperatorDTO } from '../dto';
import { hashPassword, verifyPassword } from './passwords';
import type { AuditLog } from '../audit/AuditLog';

const ISSUER = 'live-chat-server';
const AUDIENCE = 'operator';
const TOKEN_LIFETIME = '12h';
/** How long a verified operator token is trusted before the operator row is read again. */
const OPERATOR_CHECK_TTL_MS = 5_000;
/**
 * Bound on the verified-token memo (the oldest entry goes first). A console sends the same token with every
 * request, so checking its signature once is enough; the operator's state is still checked on each request.
 */
const VERIFIED_TOKENS_MAX = 10_000;

/** What each authentication checks of the operator's current row (and the name their messages carry). */
interface OperatorState {
  tokenVersion: number;
  role: OperatorRole;
  disabled: boolean;
  name: string;
}

interface OperatorClaims {
  role: OperatorRole;
  tv: number;
}

interface VerifiedToken {
  operatorId: number;
  claims: OperatorClaims;
  /** The token's `exp`, in ms since the epoch: never trusted past it. */
  expiresAt: number;
}

/**
 * Who is calling: operators by JWT (HS256 via jose, bound to the operator's token version, so a logout,
 * password change or disabling ends every token at once), customers by their session-bound token.
 */
export class AuthService implements Authenticator {
  private readonly key: Uint8Array;
  private dummyHash: Promise<string> | null = null;
  private readonly checked = new Map<number, OperatorState & { at: number }>();
  /** Operator tokens whose signature and claims jose has accepted, in the order they were first seen. */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly db: Db,
    private readonly chat: ChatService,
    jwtSecret: string,
    private readonly events: DomainEvents,
    private readonly audit: AuditLog,
    /** Told of every authenticated operator call: a sign of life for presence. */
    private readonly onOperatorSeen: (operatorId: number) => void = () => undefined,
  ) {
    this.key = new TextEncoder().encode(jwtSecret);
  }

  /** Same 401 for an unknown email, a wrong password and a disabled operator; same work in every case. */
  async login(_actor: Actor, email: string, password: string): Promise<LoginResult> {
    const operator = await this.db.models.Operator.findOne({ where: { email: email.toLowerCase() } });
    this.dummyHash ??= hashPassword('timing-equaliser');
    const matches = await verifyPassword(password, operator?.passwordHash ?? (await this.dummyHash));
    if (!operator || !matches || operator.disabled) throw new UnauthenticatedError('Wrong email or password');
    return { token: await this.issue(operator.id, operator.role, operator.tokenVersion), operator: toOperatorDTO(operator) };
  }

  /**
   * An operator changes their own password. Every token and socket they hold ends at once (another tab, a
   * stolen token); the caller gets a fresh token in the answer, so the tab that made the change stays signed in.
   */
  async changePassword(actor: Actor, currentPassword: string, newPassword: string): Promise<LoginResult> {
    requireOperator(actor);
    if (actor.kind !== 'operator') throw new UnauthenticatedError('Only an operator has a password');
    const { Operator } = this.db.models;
    const operator = await Operator.findByPk(actor.operatorId);
    if (!operator || operator.disabled || !(await verifyPassword(currentPassword, operator.passwordHash))) throw new UnauthenticatedError('The current password is wrong');
    const passwordHash = await hashPassword(newPassword);
    await this.db.transaction(async (transaction) => {
      // Conditional on the version read: two changes at once cannot both succeed on the same current password.
      const [rows] = await Operator.update(
        { passwordHash, tokenVersion: operator.tokenVersion + 1, version: literal('version + 1') },
        { where: { id: operator.id, tokenVersion: operator.tokenVersion }, transaction },
      );
      if (rows !== 1) throw new UnauthenticatedError('Token no longer valid');
      // Beside an admin's reset (operator.password_reset): who changed what includes an operator's own password.
      await this.audit.record(actor, { action: 'operator.password_changed', target: { type: 'operator', id: operator.id } }, transaction);
    });
    this.forget(operator.id);
    this.events.emit('operator.signed_out', { operatorId: operator.id });
    const changed = await Operator.findByPk(operator.id);
    if (!changed) throw new UnauthenticatedError('Token no longer valid');
    return { token: await this.issue(changed.id, changed.role, changed.tokenVersion), operator: toOperatorDTO(changed) };
  }

  private issue(operatorId: number, role: OperatorRole, tokenVersion: number): Promise<string> {
    return new SignJWT({ role, tv: tokenVersion } satisfies OperatorClaims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(operatorId))
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(TOKEN_LIFETIME)
      .sign(this.key);
  }

  /** Ends every token the calling operator holds. */
  async logout(actor: Actor): Promise<void> {
    requireOperator(actor);
    if (actor.kind !== 'operator') return;
    const { operatorId } = actor;
    await this.db.models.Operator.update({ tokenVersion: literal('token_version + 1'), version: literal('version + 1') }, { where: { id: operatorId } });
    this.forget(operatorId);
    this.events.emit('operator.signed_out', { operatorId });
  }

  /** A bearer token → the actor; throws UNAUTHENTICATED for anything that is not a valid, current token. */
  async authenticate(token: string): Promise<Actor> {
    if (token.split('.').length === 3) return this.authenticateOperator(token);
    const sessionId = await this.chat.verifyCustomerToken(token);
    if (!sessionId) throw new UnauthenticatedError('Invalid token');
    return { kind: 'customer', sessionId };
  }

  private async authenticateOperator(token: string): Promise<Actor> {
    const { operatorId, claims } = await this.verifyOperatorToken(token);
    let current = await this.currentState(operatorId);
    // A token newer than this process remembers (a password changed on another process a moment ago): its
    // signature has been checked, so the row is read again rather than the new token refused.
    if (current && claims.tv > current.tokenVersion) {
      this.checked.delete(operatorId);
      current = await this.currentState(operatorId);
    }
    if (!current || current.disabled || current.tokenVersion !== claims.tv) throw new UnauthenticatedError('Token no longer valid');
    this.onOperatorSeen(operatorId);
    return { kind: 'operator', operatorId, role: current.role, name: current.name };
  }

  /** Signature, issuer, audience and expiry, checked by jose once per token; remembered until the token expires. */
  private async verifyOperatorToken(token: string): Promise<VerifiedToken> {
    const known = this.verified.get(token);
    if (known && Date.now() < known.expiresAt) return known;
    if (known) this.verified.delete(token);
    let verified: VerifiedToken;
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'], requiredClaims: ['exp'] });
      verified = {
        operatorId: Number(payload.sub),
        claims: { role: payload.role as OperatorRole, tv: Number(payload.tv) },
        expiresAt: (payload.exp as number) * 1000,
      };
    } catch {
      throw new UnauthenticatedError('Invalid or expired token');
    }
    if (this.verified.size >= VERIFIED_TOKENS_MAX) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, verified);
    return verified;
  }

  /** The operator's token version, role and enabled flag, re-read at most every few seconds per process. */
  private async currentState(operatorId: number): Promise<OperatorState | null> {
    const cached = this.checked.get(operatorId);
    if (cached && Date.now() - cached.at < OPERATOR_CHECK_TTL_MS) return cached;
    const row = await this.db.models.Operator.findByPk(operatorId, { attributes: ['tokenVersion', 'role', 'disabled', 'name'] });
    if (!row) {
      this.checked.delete(operatorId);
      return null;
    }
    const state = { tokenVersion: row.tokenVersion, role: row.role, disabled: row.disabled, name: row.name, at: Date.now() };
    this.checked.set(operatorId, state);
    return state;
  }

  /** Forget what this process remembers of an operator (after a change made here), their tokens included. */
  forget(operatorId: number): void {
    this.checked.delete(operatorId);
    // A scan of the remembered tokens (those in recent use, at most VERIFIED_TOKENS_MAX): forgetting is rare next to
    // authenticating, so it is not worth keeping a second index.
    for (const [token, verified] of this.verified) if (verified.operatorId === operatorId) this.verified.delete(token);
  }
}
