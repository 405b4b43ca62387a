import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
/** Each generated client and the document it comes from. */
const GENERATED = [
  { file: 'cli/generated/box.ts', document: 'openapi/box.yaml' },
  { file: 'cli/generated/admin.ts', document: 'openapi/admin.yaml' },
  { file: 'cli/generated/scheduler.ts', document: 'openapi/scheduler.yaml' },
];

/**
 * The CLI's client types come from openapi/box.yaml and openapi/admin.yaml (`npm run generate:client`).
 * Regenerating them here and comparing catches a document changed without the client, so the CLI and the
 * servers cannot drift apart silently: after regenerating, `tsc` shows every CLI call the change breaks.
 */
describe('the generated API clients', () => {
  const script: string = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts['generate:client'];
  const steps = script.split('&&').map((s) => s.trim());

  it('checks every generated file, and the script generates each of them', () => {
    const files = fs.readdirSync(path.join(root, 'cli/generated')).map((name) => `cli/generated/${name}`);
    expect(files.sort()).toEqual(GENERATED.map((g) => g.file).sort());
    expect(steps).toHaveLength(GENERATED.length);
  });

  it.each(GENERATED)('$file is what npm run generate:client makes of $document', ({ file, document }) => {
    const step = steps.find((s) => s.includes(`-o ${file}`));
    expect(step).toContain(document);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-gen-'));
    try {
      const out = path.join(dir, path.basename(file));
      const [bin, ...args] = step!.replace(`-o ${file}`, `-o ${out}`).split(/\s+/);
      expect(bin).toBe('openapi-typescript');
      const res = spawnSync(process.execPath, [path.join(root, 'node_modules/openapi-typescript/bin/cli.js'), ...args], { cwd: root, encoding: 'utf8' });
      expect(res.status).toBe(0);
      const fresh = fs.readFileSync(out, 'utf8');
      const committed = fs.readFileSync(path.join(root, file), 'utf8');
      if (fresh !== committed) throw new Error(`${file} is stale: run npm run generate:client, then npx tsc --noEmit -p . to see what it breaks`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
