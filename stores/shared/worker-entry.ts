/**
 * What a `Worker` runs for a worker module that sits beside the code starting it: built (dist, the
 * CLI bundle) the `.js` file; run from TypeScript (tsx, tests) a module that registers tsx in the
 * thread first (a worker's `--import` option does not load it under the `tsx` command) and then
 * imports the `.ts` file.
 *
 * @example
 * new Worker(workerEntry('./ocsf-thread-worker', import.meta.url), { workerData });
 */
export function workerEntry(basename: string, parentUrl: string): URL {
  const fromTs = parentUrl.endsWith('.ts');
  const file = new URL(`${basename}${fromTs ? '.ts' : '.js'}`, parentUrl);
  if (!fromTs) return file;
  const code = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};\nregister();\nawait import(${JSON.stringify(file.href)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}
