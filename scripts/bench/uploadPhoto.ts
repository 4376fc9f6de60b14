/** A customer of bench:attachments who uploads: their session and token. */
export interface UploadCustomer {
  sessionId: string;
  token: string;
}

/** One photo sent as a customer's message (multipart, as the widget sends it); resolves to the HTTP status. */
export async function uploadPhoto(base: string, customer: UploadCustomer, image: Buffer, clientMessageId: string): Promise<number> {
  const body = new FormData();
  body.append('clientMessageId', clientMessageId);
  body.append('file', new Blob([image], { type: 'image/jpeg' }), 'photo.jpg');
  const res = await fetch(`${base}/api/chat/sessions/${customer.sessionId}/messages`, { method: 'POST', headers: { authorization: `Bearer ${customer.token}` }, body });
  await res.arrayBuffer();
  return res.status;
}
