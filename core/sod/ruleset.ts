/**
 * SoD ruleset model (docs/rulesets.md): functions (what a person can do, and the grants that give it)
 * and risks (functions one identity must not hold together). `parse-ruleset.ts` reads the YAML into
 * this shape; `compile.ts` turns one or more rulesets into what the engine evaluates.
 */
import type { Severity } from '../findings/model';
import type { System } from '../model';

/** Salesforce object permission actions, lowercase (`Credit_Limit__c:Edit` carries `edit`). */
export const OBJECT_ACTIONS = ['create', 'read', 'edit', 'delete', 'viewall', 'modifyall'] as const;
export type ObjectAction = (typeof OBJECT_ACTIONS)[number];

interface MatcherBase {
  system: System;
  /** 1-based line of the matcher in its ruleset file. */
  line: number;
}

/** ERP permission codes, Salesforce system permissions, Entra scopes held by an entitlement. */
export interface PermissionMatcher extends MatcherBase {
  kind: 'permission';
  permissions: string[];
}

/** Globs on the entitlement's name or native id, case-insensitive. */
export interface EntitlementMatcher extends MatcherBase {
  kind: 'entitlement';
  patterns: string[];
}

/** Salesforce `Object:Action` permissions. */
export interface ObjectPermissionMatcher extends MatcherBase {
  kind: 'objectPermission';
  object: string;
  actions: ObjectAction[];
}

/** IAM actions allowed (and not denied) on resources, from every policy reaching the principal. */
export interface ActionMatcher extends MatcherBase {
  kind: 'action';
  actions: string[];
  /** ARN patterns; `['*']` when the rule names none. */
  resources: string[];
  /**
   * The rule wrote `resource: "*"` itself: that entry means the literal resource `"*"` (what
   * actions without resource types are evaluated on), not "any resource" (the default).
   */
  literalAny?: boolean;
}

/** One authorization object a `sap` matcher needs: each listed field must allow one of its values. */
export interface SapObjectRequirement {
  /** Uppercase, e.g. `F_REGU`. */
  object: string;
  /** Uppercase field name → literal values, any one of which is enough (`FBTCH: ['11', '21']`). */
  fields: Record<string, string[]>;
}

/**
 * SAP: a transaction (through `S_TCODE`) together with authorization objects and field values
 * (docs/rulesets.md). Held when one user's roles give one of the tcodes and, per listed object, one
 * authorization (AUTH) whose fields all allow a listed value.
 */
export interface SapMatcher extends MatcherBase {
  kind: 'sap';
  /** Uppercase; empty when only objects are required. */
  tcodes: string[];
  authorizations: SapObjectRequirement[];
}

export type Matcher =
  | PermissionMatcher
  | EntitlementMatcher
  | ObjectPermissionMatcher
  | ActionMatcher
  | SapMatcher;

export interface SodFunction {
  id: string;
  name: string;
  process?: string;
  description?: string;
  /** The matchers, as the YAML calls them: any one of them gives the function. */
  grants: Matcher[];
  line: number;
}

export interface Risk {
  id: string;
  title: string;
  /** Function ids; all must be held by one identity. At least two, distinct. */
  functions: string[];
  severity: Severity;
  description?: string;
  line: number;
  /** Line of each entry of `functions`, for errors found when rulesets are composed. */
  functionLines?: number[];
}

export interface Ruleset {
  /** The file as the user named it, for error messages and evidence. */
  file: string;
  version: 1;
  functions: SodFunction[];
  risks: Risk[];
}
