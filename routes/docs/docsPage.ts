import type { HttpMethod } from '../registry';
import type { OpenApiDocument, OpenApiOperation } from './types';

/**
 * The browsable page of the OpenAPI document: plain server-rendered HTML with an inline stylesheet and no
 * script, so it needs no CDN and passes helmet's Content-Security-Policy as it is.
 */

type Json = Record<string, unknown>;

const escape = (text: unknown): string =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** A schema in one short line: `Session[]`, `integer 1..5`, `waiting | active | closed`, `string (uuid) | null`. */
export function typeText(schema: unknown): string {
  if (!schema || typeof schema !== 'object') return 'any';
  const s = schema as Json;
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop() ?? s.$ref;
  let text: string;
  // A reference that may be null is `{ allOf: [ref], nullable: true }` (OpenAPI 3.0 ignores siblings of a $ref).
  if (Array.isArray(s.allOf) && s.allOf.length === 1) text = typeText(s.allOf[0]);
  else if (Array.isArray(s.enum)) text = s.enum.map((v) => JSON.stringify(v)).join(' | ');
  else if (s.type === 'array') text = `${typeText(s.items) === 'any' ? 'any' : typeText(s.items)}[]`;
  else if (s.type === 'object' && s.properties) text = `{ ${Object.keys(s.properties as Json).join(', ')} }`;
  else if (typeof s.type === 'string') text = s.format ? `${s.type} (${String(s.format)})` : s.type;
  else text = 'any';
  const bounds = (lo: string, hi: string, unit = ''): string =>
    s[lo] !== undefined || s[hi] !== undefined ? ` ${s[lo] ?? ''}..${s[hi] ?? ''}${unit}` : '';
  text += bounds('minimum', 'maximum') + bounds('minLength', 'maxLength', ' chars') + bounds('minItems', 'maxItems', ' items');
  if (typeof s.pattern === 'string') text += ` /${s.pattern}/`;
  return s.nullable ? `${text} | null` : text;
}

function fieldTable(rows: Array<{ name: string; where?: string; type: string; required: boolean; note?: string }>): string {
  const body = rows
    .map(
      (r) =>
        `<tr><td><code>${escape(r.name)}</code></td>${r.where ? `<td>${escape(r.where)}</td>` : ''}<td><code>${escape(r.type)}</code></td>` +
        `<td>${r.required ? 'required' : 'optional'}</td><td>${escape(r.note ?? '')}</td></tr>`,
    )
    .join('');
  const where = rows.some((r) => r.where) ? '<th>in</th>' : '';
  return `<table><thead><tr><th>name</th>${where}<th>type</th><th></th><th>rules</th></tr></thead><tbody>${body}</tbody></table>`;
}

/** The `data` schema of a JSON success envelope, if the response has one. */
function dataOf(response: Json): unknown {
  const content = response.content as Record<string, { schema?: { properties?: Json } }> | undefined;
  return content?.['application/json']?.schema?.properties?.data;
}

function operationHtml(method: HttpMethod, path: string, op: OpenApiOperation): string {
  const parts = [
    `<section class="op" id="${escape(op.operationId)}">`,
    `<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>`,
    `<p>${escape(op.summary)}</p>`,
    `<p class="who"><strong>Who may call it:</strong> ${escape(op['x-access'])}${op.security.length > 0 ? ' — send <code>Authorization: Bearer &lt;token&gt;</code>' : ''}</p>`,
  ];
  if (op.parameters?.length) {
    parts.push('<h4>Parameters</h4>');
    parts.push(fieldTable(op.parameters.map((p) => ({ name: p.name, where: p.in, type: typeText(p.schema), required: p.required, note: p.description }))));
  }
  const body = op.requestBody?.content['application/json'].schema as { properties?: Record<string, Json>; required?: string[] } | undefined;
  if (op.requestBody && body) {
    parts.push(`<h4>JSON body${op.requestBody.description ? ` <small>(${escape(op.requestBody.description)})</small>` : ''}</h4>`);
    const required = new Set(body.required ?? []);
    parts.push(
      fieldTable(
        Object.entries(body.properties ?? {}).map(([name, schema]) => ({
          name,
          type: typeText(schema),
          required: required.has(name),
          note: typeof schema.description === 'string' ? schema.description : undefined,
        })),
      ),
    );
  }
  parts.push('<h4>Responses</h4><ul class="responses">');
  for (const [status, response] of Object.entries(op.responses)) {
    const reference = typeof response.$ref === 'string' ? response.$ref.split('/').pop() : undefined;
    const description = reference ?? (typeof response.description === 'string' ? response.description : '');
    const data = dataOf(response);
    const shape = data && status.startsWith('2') && !description.startsWith(typeText(data)) ? ` → <code>${escape(typeText(data))}</code>` : '';
    // `default` is the 500 any request can meet.
    parts.push(`<li><span class="status s${status === 'default' ? '5' : escape(status[0])}">${escape(status)}</span> ${escape(description)}${shape}</li>`);
  }
  parts.push('</ul></section>');
  return parts.join('\n');
}

function schemaHtml(name: string, schema: Json): string {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const rows = Object.entries(properties).map(([field, s]) => ({
    name: field,
    type: typeText(s),
    required: required.has(field),
    note: typeof s.description === 'string' ? s.description : undefined,
  }));
  return `<section class="schema" id="schema-${escape(name)}"><h3>${escape(name)}</h3>${fieldTable(rows)}</section>`;
}

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:980px;margin:0 auto;padding:1.5rem}
h1{margin:.2rem 0}h2{border-bottom:2px solid #d6dae1;padding-bottom:.2rem;margin-top:2.2rem}
.op,.schema{background:#fff;border:1px solid #d6dae1;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}
.op h3{margin:.2rem 0;font-size:1.05rem}
.method{display:inline-block;min-width:4.2em;text-align:center;border-radius:4px;color:#fff;font-size:.8rem;padding:.1rem .3rem}
.get{background:#2f7d32}.post{background:#1f5fa8}.put{background:#a05a00}.patch{background:#7b4ca0}.delete{background:#b3261e}
.who{color:#3b4252}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;border-top:1px solid #e3e6eb;padding:.25rem .4rem;vertical-align:top}
code{font-family:ui-monospace,monospace;font-size:.9em}
.responses{list-style:none;padding-left:0;margin:.2rem 0}
.status{display:inline-block;min-width:2.6em;font-weight:600}.s2{color:#2f7d32}.s4{color:#a05a00}.s5{color:#b3261e}
nav a{margin-right:1rem}
`;

export function renderDocsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>(doc.tags.map((t) => [t.name, []]));
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations) as Array<[HttpMethod, OpenApiOperation]>) {
      const tag = op.tags[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)?.push(operationHtml(method, path, op));
    }
  }
  const descriptions = new Map(doc.tags.map((t) => [t.name, t.description]));
  const sections = [...byTag]
    .filter(([, ops]) => ops.length > 0)
    .map(([tag, ops]) => `<h2 id="tag-${escape(tag)}">${escape(tag)} <small>${escape(descriptions.get(tag) ?? '')}</small></h2>\n${ops.join('\n')}`);
  const nav = [...byTag].filter(([, ops]) => ops.length > 0).map(([tag]) => `<a href="#tag-${escape(tag)}">${escape(tag)}</a>`);
  const schemas = Object.entries(doc.components.schemas).map(([name, schema]) => schemaHtml(name, schema));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(doc.info.title)} ${escape(doc.info.version)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>${escape(doc.info.description)}</p>
<p>The same description as an OpenAPI ${escape(doc.openapi)} document: <a href="/api/docs.json"><code>/api/docs.json</code></a> (or <code>GET /api/docs</code> with <code>Accept: application/json</code>).</p>
<nav>${nav.join('')}<a href="#schemas">schemas</a></nav>
${sections.join('\n')}
<h2 id="schemas">Schemas</h2>
${schemas.join('\n')}
</main>
</body>
</html>
`;
}
