// The one build recipe for every publishable package in packages/ (docs/packaging.md): each entry
// point as an ES module (`.js`, `.d.ts`) and as CommonJS (`.cjs`, `.d.cts`), flat in dist/, with
// shared code split into chunks so `corsgate` and `corsgate/express` share one engine (one
// `Policy` class) within a format. Not minified and without source maps: the shipped code is
// readable as it is, and a map would carry a second copy of every source (the public-suffix data
// included) into the tarball.

/**
 * @param {object} options
 * @param {Record<string, string>} options.entry output name → source file: the public entry points
 * @param {Record<string, string>} [options.bin] entries without types (a command's script)
 * @param {import('esbuild').Plugin[]} [options.plugins]
 * @param {() => Promise<void>} [options.onSuccess] runs after the JavaScript is written
 * @returns {import('tsup').Options}
 */
export function packageBuild({ entry, bin = {}, plugins = [], onSuccess }) {
  return {
    entry: { ...entry, ...bin },
    format: ['esm', 'cjs'],
    dts: { entry },
    outDir: 'dist',
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: true,
    sourcemap: false,
    minify: false,
    // import.meta.url in the CommonJS build (the gateway finds its package.json from it).
    shims: true,
    esbuildPlugins: plugins,
    onSuccess,
  };
}
