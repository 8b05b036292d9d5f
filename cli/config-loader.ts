/**
 * Reads and validates an AccessProof config file (README.md "Configuration", core/config.ts). Paths inside the file are
 * resolved relative to the file and must stay, symlinks resolved, inside the file's folder tree or
 * an `inputRoots` entry; every problem is an InputError naming the file, line and field.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { decodeInputText } from '../connectors/shared/decode-text';
import { type InputKind, readInputFileSync } from '../connectors/shared/input-file';
import { isInsideRoots, outsideRootsMessage, realPathOf } from '../connectors/shared/input-roots';
import type { Config, SourceConfig } from '../core/config';
import { configFieldLocation, parseConfigText } from '../core/config-text';
import { InputError } from '../core/errors';

export interface LoadedConfig {
  config: Config;
  /** Absolute path of the config file. */
  file: string;
  /** SHA-256 of the config file's bytes. */
  sha256: string;
  /** Absolute ruleset paths, in config order. */
  rulesetFiles: string[];
  /**
   * Where inputs may be read from (real paths): the config file's folder and its `inputRoots`.
   * The paths the config names are checked on load; `runLocalScan` checks every file opened.
   */
  inputRoots: string[];
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
  const inputRoots = allowedRoots(config, base, abs, text, path);
  config.sources.forEach((s, i) => {
    for (const [key, written] of inputPaths(s))
      checkInside(written, abs(written), inputRoots, text, path, ['sources', i, ...key]);
  });
  config.policy.sodRules.forEach((written, i) => {
    checkInside(written, abs(written), inputRoots, text, path, ['policy', 'sodRules', i]);
  });
  config.sources = config.sources.map((s) => resolveSourcePaths(s, abs));
  const rulesetFiles = config.policy.sodRules.map(abs);
  if (config.evidence.dir) config.evidence.dir = abs(config.evidence.dir);
  return {
    config,
    file,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    rulesetFiles,
    inputRoots,
  };
}

/** The config file's folder and every `inputRoots` entry, as real paths (each must exist). */
function allowedRoots(
  config: Config,
  base: string,
  abs: (p: string) => string,
  text: string,
  label: string,
): string[] {
  const roots = [realPathOf(base)];
  (config.inputRoots ?? []).forEach((written, i) => {
    const target = abs(written);
    if (!existsSync(target))
      throw new InputError(`inputRoots entry ${written} does not exist`, {
        file: label,
        ...configFieldLocation(text, ['inputRoots', i]),
      });
    roots.push(realPathOf(target));
  });
  return roots;
}

function checkInside(
  written: string,
  target: string,
  roots: readonly string[],
  text: string,
  label: string,
  field: Array<string | number>,
): void {
  const real = realPathOf(target);
  if (isInsideRoots(real, roots)) return;
  throw new InputError(`${written} ${outsideRootsMessage(real, written)}`, {
    file: label,
    ...configFieldLocation(text, field),
  });
}

/** Every input path a source names, with its key path under the source (`['files', 'users']`). */
function inputPaths(s: SourceConfig): Array<[string[], string]> {
  const out: Array<[string[], string]> = [];
  const add = (key: string[], p: string | undefined) => {
    if (p !== undefined) out.push([key, p]);
  };
  switch (s.system) {
    case 'erp':
      for (const [k, v] of Object.entries(s.files)) add(['files', k], v);
      break;
    case 'aws':
      for (const [k, v] of Object.entries(s.files ?? {})) add(['files', k], v);
      break;
    case 'hr':
      for (const [k, v] of Object.entries(s.files)) add(['files', k], v);
      break;
    case 'entra':
    case 'sap':
      add(['files', 'dir'], s.files?.dir);
      break;
    case 'salesforce':
      add(['files', 'dir'], s.files?.dir);
      add(['privateKeyFile'], s.privateKeyFile);
      break;
  }
  return out;
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
