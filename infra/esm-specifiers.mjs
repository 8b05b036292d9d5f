/**
 * After `tsc -p tsconfig.build.json`: the sources import relative modules without an extension
 * (`./lib/names`), which bundlers and tsx resolve but Node's ESM loader does not. This rewrites
 * every relative specifier in the emitted `.js` and `.d.ts` files to the file tsc wrote
 * (`./lib/names.js`, or `./dir/index.js`), and fails naming the file when one does not exist.
 *
 * Usage: node infra/esm-specifiers.mjs dist
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'dist');
// from './x' | import './x' | import('./x') | export … from './x'
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*)\2/g;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (name.endsWith('.js') || name.endsWith('.d.ts')) yield path;
  }
}

let rewritten = 0;
for (const file of files(root)) {
  const text = readFileSync(file, 'utf8');
  const out = text.replace(SPECIFIER, (whole, lead, quote, spec) => {
    if (/\.(m?js|json)$/.test(spec)) return whole;
    const base = resolve(dirname(file), spec);
    const target = existsSync(`${base}.js`)
      ? `${spec}.js`
      : existsSync(join(base, 'index.js'))
        ? `${spec}/index.js`
        : undefined;
    if (!target) throw new Error(`${file}: cannot resolve "${spec}" to an emitted .js file`);
    rewritten += 1;
    return `${lead}${quote}${target}${quote}`;
  });
  if (out !== text) writeFileSync(file, out);
}
console.log(`esm-specifiers: ${rewritten} relative imports made explicit under ${root}`);
