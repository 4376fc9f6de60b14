/**
 * A clientMessageId. crypto.randomUUID exists only in secure contexts, and the widget may be embedded on a
 * plain-HTTP page; getRandomValues exists everywhere.
 */
export function clientMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `w-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
