/**
 * The layering of DESIGN.md's table, enforced by `npm run lint`: each folder imports only what its row allows
 * (type-only imports count too), and nothing imports in a circle. A rule's comment says what it keeps out.
 */
const LOWER_THAN_SRC = '^(routes|middleware|services|models|config)/';
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'a cycle makes two modules one', from: {}, to: { circular: true } },
    { name: 'nothing-imports-tests-or-bin', severity: 'error', from: { pathNot: '^tests/' }, to: { path: '^(tests|bin)/' } },
    {
      name: 'contract-imports-nothing',
      severity: 'error',
      comment: 'services/contract is read by the server, the pages and the tests alike',
      from: { path: '^services/contract/' },
      to: { pathNot: '^services/contract/' },
    },
    { name: 'errors-is-a-leaf', severity: 'error', from: { path: '^services/errors\\.ts$' }, to: { pathNot: '^services/contract/' } },
    { name: 'access-is-a-leaf', severity: 'error', from: { path: '^services/access\\.ts$' }, to: { pathNot: '^services/(contract/|errors\\.ts$)' } },
    {
      name: 'models-use-the-orm-only',
      severity: 'error',
      from: { path: '^models/' },
      to: { path: '^(src|routes|middleware|services|config|scripts|public)/' },
    },
    { name: 'config-reads-env-only', severity: 'error', from: { path: '^config/' }, to: { path: '^(src|routes|middleware|services|models|scripts|public)/' } },
    {
      name: 'services-know-no-transport',
      severity: 'error',
      comment: 'services know nothing of HTTP, sockets or the logger module (it is passed in)',
      from: { path: '^services/' },
      to: { path: '^(src|routes|middleware|scripts|public)/' },
    },
    {
      name: 'middleware-sees-the-service-leaves-only',
      severity: 'error',
      from: { path: '^middleware/' },
      to: { path: '^(src/(?!observability/)|routes|models|scripts|public)/|^services/(?!contract/|errors\\.ts$|access\\.ts$)' },
    },
    {
      name: 'routes-call-services',
      severity: 'error',
      comment: 'a route validates, calls one service method and answers: no model, no config',
      from: { path: '^routes/' },
      to: { path: '^(src/(?!observability/)|models|config|scripts|public)/' },
    },
    { name: 'observability-reads-config-only', severity: 'error', from: { path: '^src/observability/' }, to: { path: `^(src/(?!observability/)|scripts|public)/|${LOWER_THAN_SRC.replace('|config', '')}` } },
    { name: 'transports-below-the-root', severity: 'error', from: { path: '^src/(http|realtime)/' }, to: { path: '^(src/server\\.ts$|models/|scripts/|public/)' } },
    { name: 'bin-starts-the-server', severity: 'error', from: { path: '^bin/' }, to: { path: `^(src/(?!server\\.ts$)|scripts|public)/|${LOWER_THAN_SRC.replace('|config', '')}` } },
    {
      name: 'scripts-below-the-transports',
      severity: 'error',
      comment: 'scripts use services, models and config; a benchmark may start the whole server as bin/www does',
      from: { path: '^scripts/' },
      to: { path: '^(routes|middleware|public)/|^src/(?!server\\.ts$)' },
    },
    { name: 'bench-alone-starts-the-server', severity: 'error', from: { path: '^scripts/(?!bench/)' }, to: { path: '^src/server\\.ts$' } },
    { name: 'pages-read-the-contract-only', severity: 'error', from: { path: '^public/' }, to: { path: '^(src|routes|middleware|services/(?!contract/)|models|config|scripts)/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
