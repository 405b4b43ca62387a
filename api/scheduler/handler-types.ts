import type { operations } from '../../cli/generated/scheduler';
import type { HandlersOf } from '../openapi/typed-call';

/** A handler for every operation of openapi/scheduler.yaml, typed from it. */
export type SchedulerHandlers = HandlersOf<operations>;
