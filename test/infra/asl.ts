/**
 * Test helper: a small interpreter of the Amazon States Language subset the scan-run state machine
 * uses (Pass, Task, Choice, Fail; Parameters with `.$` paths, ResultPath (null discards),
 * OutputPath, Catch, Retry by attempt count (no waiting); Map over `ItemsPath` with `ItemSelector`
 * and `$$.Map.Item.Value`, its items run one after another, any item failing fails the Map as a
 * Distributed Map with no tolerated failure does). Tasks are answered by the test. No AWS: it checks
 * the synthesized definition's control flow, not the service.
 */
import type { StateDefinition, StateMachineDefinition } from './synth';

type Json = Record<string, unknown>;

export interface TaskError {
  error: string;
  cause: string;
}

/** A task's answer (or a promise of it); a `TaskFailure` thrown is the task's error. */
export type TaskHandler = (state: string, payload: unknown) => unknown;

export interface RunOutcome {
  status: 'SUCCEEDED' | 'FAILED';
  /** Every state entered, in order. */
  path: string[];
  /** The state that failed the execution and its error. */
  failedAt?: string;
  error?: TaskError;
  output?: unknown;
  /** Each task state's payload, in call order. */
  calls: { state: string; payload: unknown }[];
  /** The input each state last received (a redrive restarts the failed state with it). */
  inputs: Record<string, unknown>;
}

export class TaskFailure extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(error);
  }
}

function get(root: unknown, context: Json, path: string): unknown {
  const [base, rest] = path.startsWith('$$') ? [context, path.slice(2)] : [root, path.slice(1)];
  if (rest === '') return base;
  let v: unknown = base;
  for (const part of rest.replace(/^\./, '').split('.')) {
    if (v === null || typeof v !== 'object' || !(part in (v as Json))) {
      throw new TaskFailure('States.Runtime', `path ${path} not found`);
    }
    v = (v as Json)[part];
  }
  return v;
}

function applyParameters(template: unknown, input: unknown, context: Json): unknown {
  if (Array.isArray(template)) return template.map((t) => applyParameters(t, input, context));
  if (template === null || typeof template !== 'object') return template;
  const out: Json = {};
  for (const [k, v] of Object.entries(template as Json)) {
    if (k.endsWith('.$')) {
      if (typeof v !== 'string' || !v.startsWith('$')) throw new Error(`unsupported expression ${String(v)}`);
      out[k.slice(0, -2)] = get(input, context, v);
    } else out[k] = applyParameters(v, input, context);
  }
  return out;
}

function setPath(root: unknown, path: string | null | undefined, value: unknown): unknown {
  if (path === null) return root; // ResultPath null: the result is discarded
  if (path === undefined || path === '$') return value;
  const parts = path.replace(/^\$\./, '').split('.');
  const copy = structuredClone(root) as Json;
  let at = copy;
  for (const p of parts.slice(0, -1)) {
    if (typeof at[p] !== 'object' || at[p] === null) at[p] = {};
    at = at[p] as Json;
  }
  at[parts.at(-1)!] = value;
  return copy;
}

function matches(rule: Json, input: unknown, context: Json): boolean {
  if (Array.isArray(rule.And)) return (rule.And as Json[]).every((r) => matches(r, input, context));
  if (Array.isArray(rule.Or)) return (rule.Or as Json[]).some((r) => matches(r, input, context));
  if (rule.Not) return !matches(rule.Not as Json, input, context);
  const variable = rule.Variable as string;
  let value: unknown;
  let present = true;
  try {
    value = get(input, context, variable);
  } catch {
    present = false;
  }
  if ('IsPresent' in rule) return present === rule.IsPresent;
  if (!present) throw new TaskFailure('States.Runtime', `choice variable ${variable} not found`);
  if ('StringEquals' in rule) return value === rule.StringEquals;
  if ('NumericLessThan' in rule) return (value as number) < (rule.NumericLessThan as number);
  if ('NumericGreaterThan' in rule) return (value as number) > (rule.NumericGreaterThan as number);
  if ('BooleanEquals' in rule) return value === rule.BooleanEquals;
  throw new Error(`unsupported choice rule ${JSON.stringify(rule)}`);
}

/**
 * Run from `startAt` with `input`. `redriveCount` is `$$.Execution.RedriveCount`.
 *
 * @example
 * const out = await runDefinition(def, 'Scan', input, (state, payload) => { if (state === 'Seal') throw new TaskFailure('Boom', '{}'); return {}; });
 */
export async function runDefinition(
  def: StateMachineDefinition,
  startAt: string,
  input: unknown,
  task: TaskHandler,
  options: { redriveCount?: number; maxSteps?: number } = {},
): Promise<RunOutcome> {
  const context: Json = { Execution: { RedriveCount: options.redriveCount ?? 0, Name: 'test' } };
  const path: string[] = [];
  const calls: RunOutcome['calls'] = [];
  const inputs: Record<string, unknown> = {};
  let name: string | undefined = startAt;
  let data = input;
  for (let steps = 0; name !== undefined; steps++) {
    if (steps > (options.maxSteps ?? 100)) throw new Error('the definition loops');
    const state: StateDefinition | undefined = def.States[name];
    if (!state) throw new Error(`no state ${name}`);
    path.push(name);
    inputs[name] = data;
    try {
      switch (state.Type) {
        case 'Pass': {
          const result = state.Parameters ? applyParameters(state.Parameters, data, context) : data;
          data = setPath(data, state.ResultPath, result);
          if (state.OutputPath) data = get(data, context, state.OutputPath);
          break;
        }
        case 'Task': {
          // Without Parameters the task gets the state's input (a Lambda ARN as Resource).
          const payload = (
            state.Parameters ? applyParameters(state.Parameters, data, context) : data
          ) as Json;
          const inner = (payload.Payload ?? payload) as unknown;
          const tries = new Map<object, number>();
          let result: unknown;
          for (;;) {
            calls.push({ state: name, payload: inner });
            try {
              result = await task(name, inner);
              break;
            } catch (err) {
              if (!(err instanceof TaskFailure)) throw err;
              // The first retrier naming the error (or States.ALL) while it has attempts left.
              const retrier = (state.Retry ?? []).find(
                (r) => r.ErrorEquals.includes('States.ALL') || r.ErrorEquals.includes(err.error),
              );
              const done = retrier ? (tries.get(retrier) ?? 0) : 0;
              if (!retrier || done >= (retrier.MaxAttempts ?? 3)) throw err;
              tries.set(retrier, done + 1);
            }
          }
          data = setPath(data, state.ResultPath, result);
          break;
        }
        case 'Map': {
          const processor = state.ItemProcessor;
          if (!processor) throw new Error(`map ${name} has no ItemProcessor`);
          const items = get(data, context, state.ItemsPath ?? '$');
          if (!Array.isArray(items))
            throw new TaskFailure('States.Runtime', `${state.ItemsPath} is not a list`);
          const results: unknown[] = [];
          for (const [index, value] of items.entries()) {
            const itemContext = { ...context, Map: { Item: { Index: index, Value: value } } };
            const itemInput = state.ItemSelector
              ? applyParameters(state.ItemSelector, data, itemContext)
              : value;
            const child = await runDefinition(processor, processor.StartAt, itemInput, task, options);
            for (const c of child.calls) calls.push(c);
            if (child.status === 'FAILED')
              throw new TaskFailure(
                'States.ExceedToleratedFailureThreshold',
                `item ${index} failed at ${child.failedAt}: ${child.error?.error}`,
              );
            results.push(child.output);
          }
          data = setPath(data, state.ResultPath, results);
          break;
        }
        case 'Choice': {
          const hit: Json | undefined = (state.Choices ?? []).find((c) => matches(c, data, context));
          name = (hit?.Next as string | undefined) ?? state.Default;
          if (!name) throw new TaskFailure('States.NoChoiceMatched', 'no choice matched');
          continue;
        }
        case 'Fail':
          return {
            status: 'FAILED',
            path,
            failedAt: name,
            error: { error: String(state.Error ?? ''), cause: String(state.Cause ?? '') },
            calls,
            inputs,
          };
        case 'Succeed':
          return { status: 'SUCCEEDED', path, output: data, calls, inputs };
        default:
          throw new Error(`unsupported state type ${state.Type} (${name})`);
      }
    } catch (err) {
      if (!(err instanceof TaskFailure)) throw err;
      const handler: { ErrorEquals: string[]; ResultPath?: string; Next: string } | undefined = (
        state.Catch ?? []
      ).find((c) => c.ErrorEquals.includes('States.ALL') || c.ErrorEquals.includes(err.error));
      if (!handler) {
        return {
          status: 'FAILED',
          path,
          failedAt: name,
          error: { error: err.error, cause: err.causeText },
          calls,
          inputs,
        };
      }
      data = setPath(data, handler.ResultPath, { Error: err.error, Cause: err.causeText });
      name = handler.Next;
      continue;
    }
    if (state.End) return { status: 'SUCCEEDED', path, output: data, calls, inputs };
    name = state.Next;
  }
  return { status: 'SUCCEEDED', path, output: data, calls, inputs };
}
