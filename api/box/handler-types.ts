import type { operations } from '../../cli/generated/box';
import type { BodyOf, HandlersOf, TypedCall } from '../openapi/typed-call';

/** A handler for every operation of openapi/box.yaml, typed from it (cli/generated/box.ts). */
export type BoxHandlers = HandlersOf<operations>;

export type BoxOperationId = keyof operations;

/** The validated call of one operation, e.g. `BoxCall<'execApp'>`. */
export type BoxCall<Id extends BoxOperationId> = TypedCall<operations[Id]>;

/** The request body of one operation, e.g. `Body<'addUser'>`. */
export type Body<Id extends BoxOperationId> = BodyOf<operations[Id]>;
