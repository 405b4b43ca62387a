import { createDatabase, type Db } from '../../services/db/database';
import { boolean, integer, integerOrNull, jsonOrNull, jsonText, mapTable, text, textOrNull } from '../../services/db/columns';
import { createTestSchema, dropTestSchema, onPostgres, testDatabaseUrl } from '../helpers/database';

interface Thing {
  id: string;
  kind: 'a' | 'b';
  note: string | null;
  size: number;
  taskId: number | null;
  enabled: boolean;
  tags: string[];
  settings: { depth: number } | null;
  body: string;
}

const things = mapTable<Thing>('things', {
  id: text(),
  kind: text(),
  note: textOrNull(),
  size: integer(),
  taskId: integerOrNull(),
  enabled: boolean(),
  tags: jsonText(),
  settings: jsonOrNull(),
  body: text().as('body_text'),
});

const thing: Thing = { id: 't1', kind: 'a', note: null, size: 5_000_000_000, taskId: null, enabled: true, tags: ['x', 'y'], settings: { depth: 2 }, body: 'hello' };

describe('mapTable', () => {
  it('names columns in snake_case unless told, and qualifies them', () => {
    expect(things.columns).toEqual(['id', 'kind', 'note', 'size', 'task_id', 'enabled', 'tags', 'settings', 'body_text']);
    expect(things.qualified[4]).toBe('things.task_id');
    expect(things.column('taskId')).toBe('task_id');
    expect(things.column('body')).toBe('body_text');
  });

  it('writes only the fields given, JSON as text and null as SQL NULL', () => {
    expect(things.toRow({ taskId: 7, tags: ['z'], settings: null, note: undefined })).toEqual({ task_id: 7, tags: '["z"]', settings: null });
    // An object passed on may carry more than the table holds.
    expect(things.toRow({ ...{ size: 1 }, ...{ extra: 1 } })).toEqual({ size: 1 });
  });

  it('reads what SQLite hands back (0/1, JSON text) and what PostgreSQL does (bigint strings, json objects)', () => {
    const sqlite = { id: 't1', kind: 'a', note: null, size: 5_000_000_000, task_id: null, enabled: 1, tags: '["x","y"]', settings: '{"depth":2}', body_text: 'hello' };
    const postgres = { ...sqlite, size: '5000000000', enabled: true, tags: ['x', 'y'], settings: { depth: 2 } };
    expect(things.fromRow(sqlite)).toEqual(thing);
    expect(things.fromRow(postgres)).toEqual(thing);
    expect(things.fromRow({ ...sqlite, enabled: 0, task_id: '12', settings: null })).toEqual({ ...thing, enabled: false, taskId: 12, settings: null });
  });

  it('lets tsc refuse a kind that does not fit its field, and a missing field', () => {
    // @ts-expect-error text() cannot hold a boolean
    mapTable<{ on: boolean }>('x', { on: text() });
    // @ts-expect-error a nullable field needs an ...OrNull kind
    mapTable<{ at: number | null }>('x', { at: integer() });
    // @ts-expect-error every field needs a column
    mapTable<{ a: string; b: string }>('x', { a: text() });
  });

  it('refuses a row that lacks a column, rather than reading it as undefined', () => {
    expect(() => things.fromRow({ id: 't1' })).toThrow('The row of things lacks column kind');
  });
});

describe('mapTable on the database', () => {
  let db: Db;
  let schema: string | undefined;

  beforeAll(async () => {
    if (onPostgres) schema = await createTestSchema();
    db = createDatabase(onPostgres ? testDatabaseUrl! : 'sqlite::memory:', { schema });
    await db.schema.createTable('things', (t) => {
      t.string('id').primary();
      t.string('kind').notNullable();
      t.text('note').nullable();
      t.bigInteger('size').notNullable();
      t.bigInteger('task_id').nullable();
      t.boolean('enabled').notNullable();
      t.text('tags').notNullable();
      // A json column on PostgreSQL hands back objects; on SQLite it is text.
      t.json('settings').nullable();
      t.text('body_text').notNullable();
    });
  });

  afterAll(async () => {
    await db.destroy();
    if (schema) await dropTestSchema(schema);
  });

  it('reads back what it wrote, and a patch changes only what it names', async () => {
    await db('things').insert(things.toRow(thing));
    await db('things').insert(things.toRow({ ...thing, id: 't2', enabled: false, settings: null, taskId: 3, note: 'n' }));
    expect((await db('things').orderBy('id')).map(things.fromRow)).toEqual([
      thing,
      { ...thing, id: 't2', enabled: false, settings: null, taskId: 3, note: 'n' },
    ]);

    await db('things').where({ id: 't1' }).update(things.toRow({ enabled: false, settings: { depth: 3 } }));
    expect(things.fromRow(await db('things').where({ id: 't1' }).first())).toEqual({ ...thing, enabled: false, settings: { depth: 3 } });
  });

  it('reads rows selected by qualified column names', async () => {
    const rows = await db('things').select(...things.qualified).where('things.enabled', false).orderBy('things.id');
    expect(rows.map(things.fromRow).map((t: Thing) => t.id)).toEqual(['t1', 't2']);
  });
});
