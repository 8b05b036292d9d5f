/** Child process of `bench/run.ts`: generate the tenant, print `{config, seconds}` last. */
import { type EnterpriseSize, generateEnterprise } from './generate';

const [sizeJson, dir] = process.argv.slice(2);
if (!sizeJson || !dir) throw new Error('usage: generate-cli.ts <size json> <dir>');
const t = performance.now();
const g = await generateEnterprise(JSON.parse(sizeJson) as EnterpriseSize, dir);
console.log(JSON.stringify({ config: g.config, counts: g.counts, seconds: (performance.now() - t) / 1000 }));
