/**
 * One way for every repository to turn rows into objects and back. A table is described once, field by field,
 * with the column's kind; the kind knows how each engine hands values back (SQLite: booleans as 0/1, JSON as
 * text; PostgreSQL: bigint as strings, json columns as objects), and the column's name is the field's in
 * snake_case unless `.as()` names it.
 */

/** How one field is stored in one column. */
export interface Column<T> {
  /** The column's name when it is not the field's name in snake_case. */
  readonly name?: string;
  // Function properties rather than methods, so a kind fits only a field of its own type (methods' parameters are
  // bivariant: integer() would fit a `number | null` field and write(null) would go unchecked).
  readonly read: (value: unknown) => T;
  readonly write: (value: T) => unknown;
  /** The same kind, stored under another column name. */
  as(name: string): Column<T>;
}

export type Columns<T> = { [K in keyof T]-?: Column<T[K]> };

export interface TableMap<T> {
  readonly table: string;
  /** Every column, in the order of the fields. */
  readonly columns: string[];
  /** Every column as `table.column`, for queries that join. */
  readonly qualified: string[];
  /** The column a field is stored in. */
  column(field: keyof T): string;
  /** The object a row holds; throws when the row lacks one of the columns (a select that left it out). */
  fromRow(row: Record<string, unknown>): T;
  /**
   * The columns for the fields given. Undefined fields are left out, so a patch writes only what it names; so are
   * fields the table does not hold (an object passed on may carry more than its row).
   */
  toRow(values: Partial<T>): Record<string, unknown>;
}

function column<T>(read: (value: unknown) => T, write: (value: T) => unknown, name?: string): Column<T> {
  return { name, read, write, as: (other) => column(read, write, other) };
}

const same = <T>(value: T): unknown => value;
const orNull =
  <T>(read: (value: unknown) => T) =>
  (value: unknown): T | null =>
    value === null ? null : read(value);

/** SQLite hands booleans back as 0/1. */
export function asBoolean(value: unknown): boolean {
  return value === true || value === 1 || value === '1';
}

/** JSON columns come back as strings on SQLite and as objects on PostgreSQL. */
export function asJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export const text = <T extends string = string>(): Column<T> => column((value) => value as T, same);
export const textOrNull = <T extends string = string>(): Column<T | null> => column((value) => value as T | null, same);
/** PostgreSQL returns bigint columns as strings. */
export const integer = (): Column<number> => column(Number, same);
export const integerOrNull = (): Column<number | null> => column(orNull(Number), same);
export const boolean = (): Column<boolean> => column(asBoolean, same);
/** A value kept as JSON text (or a json column on PostgreSQL). */
export const jsonText = <T>(): Column<T> => column((value) => asJson<T>(value), (value) => JSON.stringify(value));
/** JSON, where SQL NULL stands for null (rather than the text `null`). */
export const jsonOrNull = <T>(): Column<T | null> =>
  column(orNull((value) => asJson<T>(value)), (value) => (value === null ? null : JSON.stringify(value)));

const snakeCase = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function mapTable<T>(table: string, fields: Columns<T>): TableMap<T> {
  const entries = (Object.entries(fields) as Array<[keyof T & string, Column<unknown>]>).map(
    ([field, kind]) => ({ field, kind, name: kind.name ?? snakeCase(field) }),
  );
  const byField = new Map(entries.map((entry) => [entry.field as keyof T, entry]));
  const columns = entries.map((entry) => entry.name);
  return {
    table,
    columns,
    qualified: columns.map((name) => `${table}.${name}`),
    column(field) {
      const entry = byField.get(field);
      if (!entry) throw new Error(`${table} has no field ${String(field)}`);
      return entry.name;
    },
    fromRow(row) {
      const values: Record<string, unknown> = {};
      for (const { field, kind, name } of entries) {
        if (!(name in row)) throw new Error(`The row of ${table} lacks column ${name}`);
        values[field] = kind.read(row[name]);
      }
      return values as T;
    },
    toRow(values) {
      const row: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(values)) {
        const entry = byField.get(field as keyof T);
        if (entry && value !== undefined) row[entry.name] = entry.kind.write(value);
      }
      return row;
    },
  };
}
