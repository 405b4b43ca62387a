/**
 * The layer rules of docs/architecture.md ("Rules the code keeps"), checked by `npm run lint` with
 * dependency-cruiser. Type-only imports count here: `api/` may not even name knex's types.
 * The folder loops between services/ modules are checked apart, in .dependency-cruiser-folders.cjs.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A file never imports itself through other files. A loop through a type-only import is no loop at run time.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'api-not-adapters',
      severity: 'error',
      comment: 'api/ is HTTP only: the database, Docker and the queue are reached through services, never through their adapters.',
      from: { path: '^api/' },
      to: { path: ['^services/(db|docker|queue)/', '(^|/)node_modules/(knex|dockerode|bullmq|ioredis)/'] },
    },
    {
      name: 'services-not-outer-layers',
      severity: 'error',
      comment: 'services/ is the domain logic: it never imports the HTTP layer, the workers, the composition root or the CLI.',
      from: { path: '^services/' },
      to: { path: '^(api|workers|server|cli)/' },
    },
    {
      name: 'api-not-outer-layers',
      severity: 'error',
      comment: 'api/ calls services; the workers, the composition root and the CLI are not its to import.',
      from: { path: '^api/' },
      to: { path: '^(workers|server|cli)/' },
    },
    {
      name: 'workers-not-outer-layers',
      severity: 'error',
      comment: 'workers/ runs tasks through services; it never imports the HTTP layer, the composition root or the CLI.',
      from: { path: '^workers/' },
      to: { path: '^(api|server|cli)/' },
    },
  ],
  options: {
    // Leave packages as leaves: the adapter rule needs their entry points, not their insides.
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '(^|/)generated/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
