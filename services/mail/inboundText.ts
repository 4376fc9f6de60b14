/**
 * The customer's own words of a mailed reply: the quoted conversation (lines starting ">", and everything from
 * "On … wrote:" or a forwarded/original-message marker on) and the signature (from a "-- " line) taken off.
 * Every step is linear in the text's length: a mail is input from anyone who holds a reply address.
 */
const QUOTE_HEADER = /^(On\s.{1,300}wrote:|Le\s.{1,300}a écrit\s?:|Am\s.{1,300}schrieb.{0,300}:|El\s.{1,300}escribió:|-{2,}\s*(Original Message|Forwarded message)\s*-{2,}|From:\s.{1,300})$/i;
/** Only lines this short can be a quote's header (and the pattern's cost stays bounded). */
const HEADER_LINE_MAX = 400;

export function replyText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    if (line === '-- ' || line === '--' || (trimmed.length <= HEADER_LINE_MAX && QUOTE_HEADER.test(trimmed))) break;
    if (line.trimStart().startsWith('>')) continue;
    kept.push(line);
  }
  return kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

const ENTITIES: Record<string, string> = { '&nbsp;': ' ', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' };
const BREAKS = new Set(['br', 'br/', 'p', '/p', '/div', '/li', '/tr', '/h1', '/h2', '/h3', '/h4', '/h5', '/h6']);
/** Elements whose content is not the customer's words. */
const SKIPPED = ['script', 'style', 'blockquote'];

/** Text out of an HTML-only mail, in one pass: tags dropped, block ends as line breaks, basic entities decoded. */
export function htmlText(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let i = 0;
  while (i < html.length) {
    const open = html.indexOf('<', i);
    if (open < 0) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, open);
    const close = html.indexOf('>', open);
    if (close < 0) break;
    const name = lower.slice(open + 1, close).trim().split(/\s/)[0] ?? '';
    if (BREAKS.has(name)) out += '\n';
    i = close + 1;
    if (SKIPPED.includes(name)) {
      const end = lower.indexOf(`</${name}`, i);
      if (end < 0) break;
      i = end;
    }
  }
  return out.replace(/&(nbsp|lt|gt|quot|#39|amp);/g, (entity) => ENTITIES[entity] ?? entity);
}
