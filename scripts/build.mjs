// Bundles the Lambda handler and the CLI with esbuild: one minified, tree-shaken ESM file each, with a
// source map. Prints the sizes so a change that bloats the cold start shows up in review.
import { statSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  minify: true,
  treeShaking: true,
  // Prefer the SDK's ES modules: esbuild can only tree-shake those, and the bundle is half the size.
  mainFields: ['module', 'main'],
  sourcemap: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  metafile: true,
  // Some bundled CommonJS code calls require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
};

const outputs = [
  { entryPoints: ['functions/join-check/handler.ts'], outfile: 'dist/join-check/index.mjs' },
  { entryPoints: ['functions/cli/main.ts'], outfile: 'dist/cli.mjs' },
];

for (const output of outputs) {
  await build({ ...common, ...output });
  const kib = (statSync(output.outfile).size / 1024).toFixed(1);
  console.log(`${output.outfile}  ${kib} KiB (source map: ${output.outfile}.map)`);
}
