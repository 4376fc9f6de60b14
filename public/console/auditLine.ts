import type { AuditEntry, Operator } from '../shared/protocol';
import { counted, erasedWords, type ErasedCounts } from './erasure';

/** An audit entry as the columns of the audit log say it. */
export interface AuditWords {
  who: string;
  what: string;
  target: string;
  details: string;
}

const WHAT: Record<AuditEntry['action'], string> = {
  'operator.created': 'Added an operator',
  'operator.updated': 'Changed an operator',
  'operator.disabled': 'Disabled an operator',
  'operator.enabled': 'Enabled an operator again',
  'operator.password_reset': "Set an operator's password",
  'operator.password_changed': 'Changed their own password',
  'settings.updated': 'Changed the settings',
  'label.created': 'Added a label',
  'label.deleted': 'Deleted a label',
  'customer.exported': "Exported a customer's data",
  'customer.erased': "Erased a customer's data",
  'session.erased': 'Erased a chat',
  'sessions.expired': 'Erased expired chats',
};

/** The detail's counts, when it carries an erase's three. */
function erased(detail: Record<string, unknown>): ErasedCounts | null {
  const { sessions, messages, attachments } = detail;
  return typeof sessions === 'number' && typeof messages === 'number' && typeof attachments === 'number' ? { sessions, messages, attachments } : null;
}

/** The details of an entry in words: what changed, how much was erased or exported; '—' when it says nothing more. */
function details(entry: AuditEntry): string {
  const detail = entry.detail ?? {};
  const counts = erased(detail);
  if (counts) return erasedWords(counts);
  if (Array.isArray(detail.changed) && detail.changed.length > 0) return `Changed: ${detail.changed.map(String).join(', ')}`;
  if (typeof detail.sessions === 'number') return counted(detail.sessions, 'chat', 'chats');
  return '—';
}

/**
 * An audit entry in words (as sessionTrail.ts does for a session's events): the system or an operator by name
 * (`operators`: the team as known, for a target operator), an action this console does not know yet by its code.
 */
export function auditWords(entry: AuditEntry, operators: Map<number, Operator>): AuditWords {
  const { actor, target } = entry;
  const who = actor.id === null ? 'The system' : (actor.name ?? `Operator ${actor.id}`);
  const id = target.id ?? '';
  const targetWords: Record<AuditEntry['target']['type'], string> = {
    operator: operators.get(Number(id))?.name ?? `Operator ${id}`,
    settings: 'Settings',
    label: `Label ${id}`,
    customer: `Customer ${id}`,
    session: `Chat ${id}`,
  };
  return {
    who,
    what: WHAT[entry.action] ?? entry.action,
    target: target.id === null && target.type !== 'settings' ? '—' : (targetWords[target.type] ?? id),
    details: details(entry),
  };
}
