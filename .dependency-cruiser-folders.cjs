/**
 * Folder loops between services/ modules (services/apps → services/domains → services/apps), run by
 * `npm run lint` after .dependency-cruiser.cjs. Type-only imports do not count (TypeScript removes them, so
 * this cruise sees the code as it runs): dependency-cruiser cannot filter them out of folder-scope rules,
 * hence a cruise of its own with tsPreCompilationDeps off.
 * An error since issue 14: modules own the interfaces they call, and the Store bag lives in server/.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-loop',
      severity: 'error',
      comment: 'services/<a> and services/<b> import each other (directly or round other folders): one should own the interface the other implements.',
      scope: 'folder',
      from: { path: '^services/[^/]+$' },
      to: { path: '^services/[^/]+$', circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '(^|/)generated/'] },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
