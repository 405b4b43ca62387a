import type { operations } from '../../cli/generated/scheduler';
import type { BodyOf, HandlersOf, TypedCall } from '../openapi/typed-call';

/** A handler for every operation of openapi/scheduler.yaml, typed from it (cli/generated/scheduler.ts). */
export type SchedulerHandlers = HandlersOf<operations>;

export type SchedulerOperationId = keyof operations;

/** The validated call of one operation, e.g. `SchedulerCall<'putJob'>`. */
export type SchedulerCall<Id extends SchedulerOperationId> = TypedCall<operations[Id]>;

/** The request body of one operation, e.g. `Body<'createJob'>`. */
export type Body<Id extends SchedulerOperationId> = BodyOf<operations[Id]>;
