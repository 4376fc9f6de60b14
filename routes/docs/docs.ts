import { access } from '../../middleware/auth';
import { buildOpenApi, openApiPath, type OpenApiDocument } from './openapi';
import { renderDocsPage } from './docsPage';
import { DEFAULT_RESPONSE } from './responses';
import type { RouteGroup } from '../registry';

const PREFIX = '/api';

/**
 * GET /api/docs (the OpenAPI document as JSON when the client asks for JSON, else a browsable page) and
 * GET /api/docs.json. Registered like every other route (public), so it is in the document it serves.
 */
export function docsRoutes(groups: readonly RouteGroup[]): RouteGroup {
  const group: RouteGroup = {
    prefix: PREFIX,
    tag: 'docs',
    routes: [
      {
        method: 'get',
        path: '/docs',
        summary: 'This API: the OpenAPI 3 document with Accept: application/json, else a browsable HTML page',
        access: access.public,
        responds: { status: 200, data: 'OpenAPI document or HTML page' },
        handler: async (req, res) => {
          res.vary('Accept');
          if (req.accepts(['html', 'json']) === 'json') res.json(document);
          else res.type('html').send(page);
        },
      },
      {
        method: 'get',
        path: '/docs.json',
        summary: 'This API as an OpenAPI 3 document (JSON)',
        access: access.public,
        responds: { status: 200, data: 'OpenAPI document' },
        handler: async (_req, res) => {
          res.json(document);
        },
      },
    ],
  };

  // Built once, at start-up (a route registered twice fails here), from every group, this one included.
  const document = documentOf([...groups, group]);
  const page = renderDocsPage(document);
  return group;
}

/** The document of the groups; the docs routes answer the bare document (no envelope) and read no database. */
function documentOf(groups: readonly RouteGroup[]): OpenApiDocument {
  const built = buildOpenApi(groups);
  const openApiJson = { 'application/json': { schema: { type: 'object', description: 'An OpenAPI 3.0 document', required: ['openapi', 'info', 'paths'] } } };
  const docs = built.paths[openApiPath(PREFIX, '/docs')]?.get;
  if (docs) {
    docs.responses = {
      '200': { description: 'The OpenAPI document (JSON) or the browsable page (HTML), by the Accept header', content: { ...openApiJson, 'text/html': { schema: { type: 'string' } } } },
      default: DEFAULT_RESPONSE,
    };
  }
  const json = built.paths[openApiPath(PREFIX, '/docs.json')]?.get;
  if (json) json.responses = { '200': { description: 'The OpenAPI document', content: openApiJson }, default: DEFAULT_RESPONSE };
  return built;
}

/** The API groups plus the docs group that describes them all. */
export function withDocs(groups: readonly RouteGroup[]): RouteGroup[] {
  return [...groups, docsRoutes(groups)];
}
