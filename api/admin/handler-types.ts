import type { operations } from '../../cli/generated/admin';
import type { BodyOf, HandlersOf } from '../openapi/typed-call';

/** A handler for every operation of openapi/admin.yaml, typed from it (cli/generated/admin.ts). */
export type AdminHandlers = HandlersOf<operations>;

/** The request body of one operation, e.g. `AdminBody<'createInstance'>`. */
export type AdminBody<Id extends keyof operations> = BodyOf<operations[Id]>;
