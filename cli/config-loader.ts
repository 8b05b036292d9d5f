/**
 * Reads and validates an AccessProof config file (README.md "Configuration", core/config.ts). Paths inside the file are
 * resolved relative to the file; every problem is an InputError naming the file and field.
 */
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { decodeInputText } from '../connectors/shared/decode-text';
import { type InputKind, readInputFileSync } from '../connectors/shared/input-file';
import type { Config, SourceConfig } from '../core/config';
import { parseConfigText } from '../core/config-text';

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the config file. */
  file: string;
  /** SHA-256 of the config file's bytes. */
  sha256: string;
  /** Absolute ruleset paths, in config order. */
  rulesetFiles: string[];
}

/**
 * Read a file the user named: a regular file within the size limit of its kind (never a FIFO or a
 * device, which would hang or never end); every problem an InputError that names it.
 */
export function readInputFile(path: string, label = path, kind: InputKind = 'config'): Buffer {
  return readInputFileSync(path, kind, label);
}

/**
 * @example
 * const { config } = loadConfig('examples/demo/accessproof.yaml');
 */
export function loadConfig(path: string): LoadedConfig {
  const file = resolve(path);
  const bytes = readInputFile(file, path);
  const text = decodeInputText(bytes, path);
  const config = parseConfigText(text, path);
  const base = dirname(file);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  config.sources = config.sources.map((s) => resolveSourcePaths(s, abs));
  const rulesetFiles = config.policy.sodRules.map(abs);
  if (config.evidence.dir) config.evidence.dir = abs(config.evidence.dir);
  return { config, file, sha256: createHash('sha256').update(bytes).digest('hex'), rulesetFiles };
}

function resolveSourcePaths(s: SourceConfig, abs: (p: string) => string): SourceConfig {
  switch (s.system) {
    case 'erp': {
      const f = s.files;
      return {
        ...s,
        files: {
          users: abs(f.users),
          roles: abs(f.roles),
          assignments: abs(f.assignments),
          ...(f.permissions ? { permissions: abs(f.permissions) } : {}),
        },
      };
    }
    case 'aws': {
      if (!s.files) return s;
      const f = s.files;
      return {
        ...s,
        files: {
          ...(f.authorizationDetails ? { authorizationDetails: abs(f.authorizationDetails) } : {}),
          ...(f.credentialReport ? { credentialReport: abs(f.credentialReport) } : {}),
          ...(f.organizationPolicies ? { organizationPolicies: abs(f.organizationPolicies) } : {}),
        },
      };
    }
    case 'entra':
      return s.files ? { ...s, files: { ...s.files, dir: abs(s.files.dir) } } : s;
    case 'sap':
      return { ...s, files: { ...s.files, dir: abs(s.files.dir) } };
    case 'hr':
      return {
        ...s,
        files: { people: abs(s.files.people), ...(s.files.links ? { links: abs(s.files.links) } : {}) },
      };
    case 'salesforce':
      return {
        ...s,
        ...(s.files ? { files: { ...s.files, dir: abs(s.files.dir) } } : {}),
        ...(s.privateKeyFile ? { privateKeyFile: abs(s.privateKeyFile) } : {}),
      };
  }
}
