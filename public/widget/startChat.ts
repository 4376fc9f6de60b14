import { el } from '../shared/dom';
import type { Http } from '../shared/http';
import type { Availability, Session } from '../shared/protocol';
import { startForm, type StartFields } from './forms';
import { describe, problemView } from './problem';

/** Metadata that marks a session started from the "leave a message" form. */
const LEFT_MESSAGE = 'leftMessage';

export interface Created {
  session: Session;
  customerToken: string;
}

/**
 * Starting a session: the start form while someone is online within business hours, else the offline "leave a
 * message" form (saying when the team opens again, outside its hours); either
 * creates the session and hands it on.
 */
export class StartChat {
  constructor(
    private readonly http: Http,
    private readonly departments: string[],
    private readonly setBody: (...nodes: Node[]) => void,
    private readonly created: (created: Created) => void,
  ) {}

  async show(): Promise<void> {
    this.setBody(el('p', { className: 'lc-status', role: 'status', text: 'Checking who is online…' }));
    let availability: Availability;
    try {
      availability = await this.http.call<Availability>('GET', '/api/chat/availability');
    } catch (error) {
      this.setBody(problemView(error, () => void this.show()));
      return;
    }
    // Outside business hours the team is closed even if someone is online (PROTOCOL.md: "leave a message").
    const closed = availability.withinBusinessHours === false;
    const kind = availability.online && !closed ? 'chat' : 'leave-message';
    const closedUntil = closed ? (availability.nextOpenAt ? new Date(availability.nextOpenAt) : null) : undefined;
    const form = startForm(
      kind,
      this.departments,
      (fields) => {
        this.begin(fields, kind === 'leave-message').catch((error: unknown) => form.fail(describe(error)));
      },
      closedUntil,
    );
    this.setBody(form.root);
    form.root.querySelector('input')?.focus();
  }

  private async begin(fields: StartFields, leftMessage: boolean): Promise<void> {
    const metadata: Record<string, unknown> = { page: location.href.slice(0, 500) };
    if (leftMessage) metadata[LEFT_MESSAGE] = true;
    const created = await this.http.call<Created>('POST', '/api/chat/sessions', {
      customerName: fields.customerName,
      customerEmail: fields.customerEmail,
      ...(fields.department ? { department: fields.department } : {}),
      ...(fields.message ? { message: fields.message } : {}),
      metadata,
    });
    this.created(created);
  }
}

/** The status line of a session started from the "leave a message" form; null for any other. */
export function leftMessageStatus(session: Session): string | null {
  if (session.metadata?.[LEFT_MESSAGE] !== true) return null;
  const email = session.customerEmail ? ` We'll reply to ${session.customerEmail},` : " We'll reply";
  return `Thanks, your message was sent.${email} or right here if an operator comes online while you are on this page.`;
}
