import type { ClosedBy } from '../../contract';

/** The conversation's system lines, worded once (db:seed words its demo chats the same way). */
export const joinedLine = (operatorName: string | undefined): string => `${operatorName ?? 'An operator'} joined the chat`;

export function closeLine(closedBy: ClosedBy, reason?: string): string {
  const who = closedBy === 'customer' ? 'the customer' : closedBy === 'operator' ? 'the operator' : 'the system';
  return reason ? `Chat closed by ${who}: ${reason}` : `Chat closed by ${who}`;
}

export const transferLine = (from: string | undefined, to: string | undefined): string => `Transferred from ${from ?? 'an operator'} to ${to ?? 'another operator'}`;
export const departmentLine = (department: string): string => `Transferred to the ${department} team`;
export const requeueLine = 'Looking for another operator for you';
export const reopenLine = 'Chat reopened: the customer wrote again';
