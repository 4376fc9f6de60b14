import type { Operator, SessionEventDTO } from '../shared/protocol';
import { counted } from './erasure';

/** A session's audit trail (GET …/events) as sentences: who got it, why, where it went, how it ended. */
export function trailLine(event: SessionEventDTO, operators: Map<number, Operator>): string {
  const detail = event.detail ?? {};
  const text = (key: string): string | null => (typeof detail[key] === 'string' ? (detail[key] as string) : null);
  const who = (id: unknown): string => (typeof id === 'number' ? (operators.get(id)?.name ?? `operator ${id}`) : 'nobody');
  switch (event.type) {
    case 'created':
      return 'Chat started';
    case 'queued':
      return 'Waiting in the queue';
    case 'assigned':
      return `Assigned to ${who(event.operatorId)}${text('reason') ? ` (${text('reason') ?? ''})` : ''}`;
    case 'transferred':
      return text('department') ? `Transferred by ${who(detail.fromOperatorId)} to the ${text('department') ?? ''} department` : `Transferred from ${who(detail.fromOperatorId)} to ${who(detail.toOperatorId)}`;
    case 'requeued':
      return `Back to the queue${text('reason') ? `: ${text('reason') ?? ''}` : ''}`;
    case 'unassigned':
      return `Taken from ${who(event.operatorId)}`;
    case 'closed':
      return `Closed${text('closedBy') ? ` by ${text('closedBy') ?? ''}` : ''}${text('reason') ? `: ${text('reason') ?? ''}` : ''}`;
    case 'rated':
      return typeof detail.rating === 'number' ? `Rated ${detail.rating} of 5 by the customer` : 'Rated by the customer';
    case 'labelled':
      return `Labels set to ${Array.isArray(detail.labels) && detail.labels.length > 0 ? detail.labels.join(', ') : 'none'}${event.operatorId ? ` by ${who(event.operatorId)}` : ''}`;
    case 'mailed':
      return `Mail sent${text('kind') ? ` (${text('kind') ?? ''})` : ''}`;
    case 'mail_failed':
      return `Mail could not be sent${text('kind') ? ` (${text('kind') ?? ''})` : ''}`;
    case 'transcript':
      return 'Transcript sent by email';
    case 'erased':
      // Its messages and the customer's details went; the counts say how much, never what.
      return `Erased ${event.operatorId ? `by ${who(event.operatorId)}` : 'when it expired'}${typeof detail.messages === 'number' && typeof detail.attachments === 'number' ? ` (${counted(detail.messages, 'message', 'messages')}, ${counted(detail.attachments, 'file', 'files')})` : ''}`;
  }
}
