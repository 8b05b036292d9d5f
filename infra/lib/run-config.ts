/**
 * The run configuration the deployed state machine carries: the config file's exact text and the
 * text of every SoD ruleset it names. The plan step hashes these bytes (`RunPlan.configSha256`), so
 * an auditor can re-hash the committed files and match the manifest.
 *
 * Validation happens at synth, with the parser the CLI and the Lambdas use (core/config-text.ts),
 * so a bad config fails `cdk synth` — with its file, line and field — instead of the first scheduled run.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Config, SourceConfig } from '../../core/config';
import { parseConfigText } from '../../core/config-text';
import { InputError } from '../../core/errors';

/** The name an object config's JSON text goes by in messages and in `$.runConfig.file`. */
const INLINE_FILE = 'inline.json';

/** One SoD ruleset as shipped to the run: the path as the config names it, and its text. */
export interface RulesetDocument {
  path: string;
  text: string;
}

/** What the state machine's first state hands the plan step (`$.runConfig`). */
export interface RunConfigDocument {
  /** The config file name, for messages (relative to the project root, or `inline.json`). */
  file: string;
  /** The config file's exact text: YAML or JSON. */
  text: string;
  /** Rulesets in `policy.sodRules` order. */
  rulesets: RulesetDocument[];
}

/** `$.runConfig` in the deployed state machine: the staged document, by location and SHA-256. */
export interface RunConfigReference {
  /** The config file name, for messages. */
  file: string;
  bucket: string;
  key: string;
  /** SHA-256 of the staged JSON document (`RunConfigDocument`); the steps refuse other bytes. */
  sha256: string;
}

/** The bytes the deployment stages: the document as JSON. */
export function runConfigBytes(document: RunConfigDocument): Buffer {
  return Buffer.from(`${JSON.stringify(document)}\n`, 'utf8');
}

export interface LoadedRunConfig {
  config: Config;
  document: RunConfigDocument;
}

/**
 * Read, validate and package a config file for deployment.
 *
 * @example
 * const { config, document } = loadRunConfigFile('infra/config/accessproof.yaml', projectRoot);
 */
export function loadRunConfigFile(file: string, projectRoot: string): LoadedRunConfig {
  const abs = isAbsolute(file) ? file : resolve(projectRoot, file);
  const label = relative(projectRoot, abs) || file;
  const text = readText(abs, label);
  const config = forAws(parseConfigText(text, label), label);
  const rulesets = config.policy.sodRules.map((path) => {
    const rulesetFile = isAbsolute(path) ? path : resolve(dirname(abs), path);
    return { path, text: readText(rulesetFile, relative(projectRoot, rulesetFile)) };
  });
  return { config, document: { file: label, text, rulesets } };
}

/**
 * Package a config given as an object (construct props). Rulesets are read relative to `baseDir`.
 *
 * @example
 * const { document } = runConfigFromObject({ organization: 'Example', sources: [...] }, projectRoot);
 */
export function runConfigFromObject(input: unknown, baseDir: string): LoadedRunConfig {
  // The JSON text is what the run hashes and ships, so it is also what gets validated.
  const text = `${JSON.stringify(input, null, 2)}\n`;
  const config = forAws(parseConfigText(text, INLINE_FILE), INLINE_FILE);
  const rulesets = config.policy.sodRules.map((path) => {
    const rulesetFile = isAbsolute(path) ? path : resolve(baseDir, path);
    return { path, text: readText(rulesetFile, path) };
  });
  return { config, document: { file: INLINE_FILE, text, rulesets } };
}

/** A valid config that AWS can run: every source collected live. */
function forAws(config: Config, label: string): Config {
  config.sources.forEach((source, i) => {
    const why = unsupportedInAws(source);
    if (why) throw new InputError(why, { file: label, field: `sources[${i}]` });
  });
  return config;
}

/**
 * Files-mode sources read exports from the operator's disk, which a Lambda does not have; ERP has no
 * live mode yet. Refusing them at synth beats a source that fails on every scheduled run.
 */
function unsupportedInAws(source: SourceConfig): string | undefined {
  if (source.system === 'erp')
    return `source "${source.id}": ERP extracts are files; the AWS run collects live APIs only`;
  if (source.system === 'sap')
    return `source "${source.id}": SAP table extracts are files (live RFC is not built); the AWS run collects live APIs only`;
  if (source.system === 'hr')
    return `source "${source.id}": HR exports are files; the AWS run collects live APIs only`;
  if (source.files)
    return `source "${source.id}": files mode reads local exports; remove "files" to collect live in AWS`;
  return undefined;
}

function readText(path: string, label: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'file not found' : `cannot read (${code})`, { file: label });
  }
}

/** The organization-wide AWS sources: they make the run use a Distributed Map. */
export function organizationSources(config: Config): Extract<SourceConfig, { system: 'aws' }>[] {
  return config.sources.filter(
    (s): s is Extract<SourceConfig, { system: 'aws' }> => s.system === 'aws' && s.organization,
  );
}
