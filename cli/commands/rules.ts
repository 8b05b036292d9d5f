/**
 * `accessproof rules list`: each rule's id, severity, the thresholds in force (from `--config`, else
 * the built-in policy) and the control it tests.
 */
import { type Policy, policySchema } from '../../core/config';
import { RULE_IDS, SEVERITIES } from '../../core/findings/model';
import { ruleInfo } from '../../core/rules/catalog';
import { loadConfig } from '../config-loader';
import { EXIT } from '../exit-codes';
import type { Output } from '../output';
import { openSink, writeJson } from '../sink';

export interface RulesListOptions {
  config?: string;
  format: 'table' | 'json';
  output?: string;
}

export async function runRulesList(opts: RulesListOptions, out: Output): Promise<number> {
  const policy: Policy = opts.config ? loadConfig(opts.config).config.policy : policySchema.parse({});
  const rows = RULE_IDS.map((id) => {
    const info = ruleInfo(id);
    return {
      id,
      severity: info.severity,
      thresholds: info.thresholds(policy),
      description: info.description,
      remediation: info.remediation,
    };
  });
  const sink = openSink(opts.output, out);
  try {
    if (opts.format === 'json') writeJson(sink, rows, 'array', (r) => r);
    else {
      const width = rows.reduce((m, r) => Math.max(m, r.id.length), 0);
      for (const r of rows) {
        sink.line(`${r.id.padEnd(width)}  ${r.description}`);
        sink.line(`${' '.repeat(width)}  severity: ${r.severity}`);
        sink.line(
          `${' '.repeat(width)}  thresholds: ${r.thresholds.length ? r.thresholds.join(', ') : 'none'}`,
        );
      }
      sink.line('');
      sink.line(
        `Due dates (policy.slaDays): ${SEVERITIES.map((s) => `${s} ${policy.slaDays[s]} days`).join(', ')}`,
      );
    }
    sink.finish();
  } catch (err) {
    sink.abort();
    throw err;
  }
  return EXIT.ok;
}
