import type { components } from '../generated/box';

/** The box API's objects, as openapi/box.yaml describes them. */
type Schemas = components['schemas'];
export type Task = Schemas['Task'];
export type App = Schemas['App'];
export type User = Schemas['User'];
export type Group = Schemas['GroupWithMembers'];
export type Token = Schemas['Token'];
export type Event = Schemas['Event'];
export type Profile = Schemas['Profile'];
export type Role = Schemas['Role'];
