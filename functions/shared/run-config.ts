/**
 * The run configuration the state machine carries (`$.runConfig`: the config file's text and its
 * rulesets) turned back into what core needs: the validated Config, the bytes the plan hashes, and
 * the SoD rulesets — parsed with the same parser the CLI uses (core/config-text.ts).
 */
import type * as z from 'zod';
import { compileRunRulesets } from '../../connectors/plan-sources';
import type { Config } from '../../core/config';
import { parseConfigText } from '../../core/config-text';
import { InputError } from '../../core/errors';
import { type CompiledRuleset, parseRulesets, type Ruleset } from '../../core/sod';
import type { runConfigSchema } from './events';

export interface ParsedRunConfig {
  config: Config;
  /** Config text then each ruleset's text, as bytes: `planRun` hashes them into `configSha256`. */
  inputs: Uint8Array[];
  rulesets: Ruleset[];
}

/**
 * @example
 * const { config, inputs, rulesets } = parseRunConfig(event.runConfig);
 */
export function parseRunConfig(doc: z.infer<typeof runConfigSchema>): ParsedRunConfig {
  const config = parseConfigText(doc.text, doc.file);
  const byPath = new Map(doc.rulesets.map((r) => [r.path, r.text]));
  const texts = config.policy.sodRules.map((path) => {
    const text = byPath.get(path);
    if (text === undefined) throw new InputError('ruleset not shipped with the run config', { file: path });
    return { path, text };
  });
  const encode = (s: string) => new TextEncoder().encode(s);
  return {
    config,
    inputs: [encode(doc.text), ...texts.map((t) => encode(t.text))],
    rulesets: parseRulesets(texts.map((t) => ({ text: t.text, file: t.path }))),
  };
}

let compiled: { key: string; value: Promise<CompiledRuleset | undefined> } | undefined;

/** The run's rulesets compiled as `accessproof scan` compiles them; kept for the warm Lambda's next run. */
export function compileRunRulesetsOnce(rulesets: Ruleset[]): Promise<CompiledRuleset | undefined> {
  const key = JSON.stringify(rulesets);
  if (compiled?.key !== key) compiled = { key, value: compileRunRulesets(rulesets) };
  return compiled.value;
}
