import Ajv, { type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import { validationError, type BerthError } from '../core/errors';

/** When another task on the same object is unfinished: `refuse` (409 at creation) or `queue` (wait for it). */
export type ConflictPolicy = 'refuse' | 'queue';

export interface TaskTypeSpec<A> {
  /** The name stored in `tasks.type` and used as the queue's name: never rename one that has rows. */
  name: string;
  /** The shape of the task's args, checked when the task is created and again when a worker takes it. */
  args: JSONSchemaType<A>;
  /** Aborts the handler's signal and ends the task with `timeout` after this long; a task may ask for less, not more. */
  timeoutMs: number;
  /** Tasks of this type running at once in one worker process (BERTH_TASK_CONCURRENCY overrides it). */
  concurrency: number;
  /** Safe to run again from the start: a crashed or interrupted run is re-queued instead of ending `crashed`. */
  idempotent: boolean;
  onConflict: ConflictPolicy;
}

export type Parsed<A> = { ok: true; args: A } | { ok: false; error: BerthError };

/** A task type: its rules and the parser of its args. Declared by the module whose service starts it. */
export interface TaskType<A> {
  readonly name: string;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly idempotent: boolean;
  readonly onConflict: ConflictPolicy;
  /** The args as A, or a 400 VALIDATION_ERROR naming the field that is wrong. */
  parse(raw: unknown): A;
  tryParse(raw: unknown): Parsed<A>;
}

export function defineTaskType<A>(spec: TaskTypeSpec<A>): TaskType<A> {
  // One Ajv per type: the schemas are small and compiled once, at start-up, and no instance is shared.
  const validate: ValidateFunction<A> = new Ajv({ allErrors: false }).compile(spec.args);
  const tryParse = (raw: unknown): Parsed<A> =>
    validate(raw) ? { ok: true, args: raw } : { ok: false, error: argsError(spec.name, validate.errors ?? []) };
  return {
    name: spec.name,
    timeoutMs: spec.timeoutMs,
    concurrency: spec.concurrency,
    idempotent: spec.idempotent,
    onConflict: spec.onConflict,
    tryParse,
    parse(raw) {
      const parsed = tryParse(raw);
      if (!parsed.ok) throw parsed.error;
      return parsed.args;
    },
  };
}

/** `args.appId must be string`, with the field as a dotted path (`args.manifest.id`) in the details. */
function argsError(type: string, errors: ErrorObject[]): BerthError {
  const [first] = errors;
  if (!first) return validationError(`Invalid args for task type ${type}`, { field: 'args' });
  const path = first.instancePath.split('/').filter(Boolean);
  if (first.keyword === 'required') path.push(String(first.params.missingProperty));
  const field = ['args', ...path].join('.');
  const problem = first.keyword === 'required' ? 'is required' : (first.message ?? 'is invalid');
  return validationError(`${field} ${problem} (task type ${type})`, { field });
}
