/**
 * The layering of crops-lab, checked by `npm run lint` (dependency-cruiser). Type-only imports
 * count: a loop through types still ties two modules together.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-import-loops',
      severity: 'error',
      comment: 'modules must form a tree of layers: a loop means two files are really one, or a contract belongs in src/extension-points',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
