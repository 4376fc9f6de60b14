import { randomUUID } from 'node:crypto';
import validator from 'validator';
import type { NewMail } from '../../models/queries/outbox';
import type { UnmailedReply } from '../../models/queries/replyMails';
import { mailDomain } from './replyAddress';

/**
 * The mails the server writes (PROTOCOL.md "Email"): a plain-text part and an HTML part, every value escaped in
 * the HTML; nothing a customer typed reaches a header except through nodemailer's encoding, and line breaks
 * never (a name like "x\r\nBcc: …" stays one line of a subject).
 */

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** One line of at most `max` characters: no CR, LF or other control characters. */
const oneLine = (text: string, max: number): string => text.replace(/\p{Cc}+/gu, ' ').trim().slice(0, max);

export interface OfflineMessage {
  sessionId: string;
  customerName: string | null;
  customerEmail: string | null;
  department: string | null;
  message: string | null;
  /** Where the console is (PUBLIC_URL). */
  publicUrl: string;
  /** MAIL_FROM, whose domain names the Message-ID. */
  from: string;
}

/** "Someone left a message" to the team: who, their email (also the Reply-To), the message, and a link. */
export function offlineMessageMail(input: OfflineMessage, recipients: string[]): NewMail {
  const name = oneLine(input.customerName ?? '', 120) || 'A visitor';
  const email = input.customerEmail && validator.isEmail(input.customerEmail) ? input.customerEmail : null;
  const link = `${input.publicUrl}/console?session=${encodeURIComponent(input.sessionId)}`;
  const facts: Array<[string, string]> = [
    ['From', email ? `${name} <${email}>` : name],
    ...(input.department ? ([['Department', input.department]] as Array<[string, string]>) : []),
  ];
  const message = input.message ?? '(no message)';
  const text = [`${name} left a message while nobody could answer.`, '', ...facts.map(([k, v]) => `${k}: ${v}`), '', message, '', `Open it in the console: ${link}`].join('\n');
  const html = [
    `<p>${escapeHtml(name)} left a message while nobody could answer.</p>`,
    `<table>${facts.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`,
    `<blockquote style="white-space:pre-wrap">${escapeHtml(message)}</blockquote>`,
    `<p><a href="${escapeHtml(link)}">Open it in the console</a></p>`,
  ].join('\n');
  return {
    sessionId: input.sessionId,
    kind: 'offline_message',
    recipients,
    subject: oneLine(`Message from ${name}${input.department ? ` (${input.department})` : ''}`, 200),
    text,
    html,
    replyTo: email,
    messageId: `<${randomUUID()}@${mailDomain(input.from)}>`,
  };
}

export interface Replies {
  sessionId: string;
  customerName: string | null;
  customerEmail: string;
  replies: UnmailedReply[];
  /** The session's signed reply address: the customer's answer comes back into the chat. */
  replyTo: string;
  from: string;
}

/** The operators' answers the customer has not seen, in one mail they can answer. */
export function repliesMail(input: Replies): NewMail {
  const who = (reply: UnmailedReply): string => oneLine(reply.senderName ?? 'Operator', 120);
  const names = [...new Set(input.replies.map(who))];
  const greeting = input.customerName ? `Hello ${oneLine(input.customerName, 120)},` : 'Hello,';
  const text = [
    greeting,
    '',
    `You have ${input.replies.length === 1 ? 'a new reply' : `${input.replies.length} new replies`} in your chat:`,
    '',
    ...input.replies.flatMap((reply) => [`${who(reply)} (${reply.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC):`, reply.content, '']),
    'Answer this email to reply: your answer goes into the chat.',
  ].join('\n');
  const html = [
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>You have ${input.replies.length === 1 ? 'a new reply' : `${input.replies.length} new replies`} in your chat:</p>`,
    ...input.replies.map((reply) => `<p><strong>${escapeHtml(who(reply))}</strong><br><span style="white-space:pre-wrap">${escapeHtml(reply.content)}</span></p>`),
    '<p>Answer this email to reply: your answer goes into the chat.</p>',
  ].join('\n');
  return {
    sessionId: input.sessionId,
    kind: 'reply',
    recipients: [input.customerEmail],
    subject: oneLine(`New reply from ${names.join(', ')}`, 200),
    text,
    html,
    replyTo: input.replyTo,
    messageId: `<${randomUUID()}@${mailDomain(input.from)}>`,
  };
}

export interface TranscriptLine {
  senderType: string;
  senderName: string | null;
  content: string;
  createdAt: Date;
}

/** A conversation's transcript (never its notes): every message with who wrote it and when (UTC). */
export function transcriptMail(input: { sessionId: string; customerName: string | null; to: string; lines: TranscriptLine[]; from: string }): NewMail {
  const who = (line: TranscriptLine): string => oneLine(line.senderName ?? (line.senderType === 'customer' ? (input.customerName ?? 'You') : line.senderType === 'system' ? '—' : 'Operator'), 120);
  const when = (line: TranscriptLine): string => line.createdAt.toISOString().slice(0, 16).replace('T', ' ');
  const title = `Transcript of your chat${input.customerName ? ` (${oneLine(input.customerName, 120)})` : ''}`;
  const text = [title, '', ...input.lines.map((line) => `[${when(line)} UTC] ${who(line)}: ${line.content}`)].join('\n');
  const html = [
    `<p>${escapeHtml(title)}</p>`,
    '<table>',
    ...input.lines.map((line) => `<tr><td>${escapeHtml(when(line))}</td><th align="left">${escapeHtml(who(line))}</th><td style="white-space:pre-wrap">${escapeHtml(line.content)}</td></tr>`),
    '</table>',
  ].join('\n');
  return {
    sessionId: input.sessionId,
    kind: 'transcript',
    recipients: [input.to],
    subject: oneLine(title, 200),
    text,
    html,
    replyTo: null,
    messageId: `<${randomUUID()}@${mailDomain(input.from)}>`,
  };
}
