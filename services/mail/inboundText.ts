/**
 * The customer's own words of a mailed reply: the quoted conversation (lines starting ">", and everything from
 * "On … wrote:" or a forwarded/original-message marker on) and the signature (from a "-- " line) taken off.
 */
const QUOTE_HEADER = /^(On\s.+wrote:|Le\s.+a écrit\s?:|Am\s.+schrieb.+:|El\s.+escribió:|-{2,}\s*(Original Message|Forwarded message)\s*-{2,}|From:\s.+)$/i;

export function replyText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    if (line === '-- ' || line === '--' || QUOTE_HEADER.test(line.trim())) break;
    if (line.trimStart().startsWith('>')) continue;
    kept.push(line);
  }
  return kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** Text out of an HTML-only mail: tags dropped, block ends as line breaks, entities decoded (the basic ones). */
export function htmlText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<blockquote[\s\S]*?<\/blockquote>/gi, '')
    .replace(/<br\s*\/?>|<\/(p|div|li|tr|h\d)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}
