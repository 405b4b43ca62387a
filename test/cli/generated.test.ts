import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const GENERATED = 'cli/generated/box.ts';

/**
 * The CLI's client types come from openapi/box.yaml (`npm run generate:client`). Regenerating them here and
 * comparing catches a document changed without the client, so the CLI and the server cannot drift apart
 * silently: after regenerating, `tsc` shows every CLI call the change breaks.
 */
describe('the generated box API client', () => {
  it(`${GENERATED} is what npm run generate:client makes of openapi/box.yaml`, () => {
    const script: string = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).scripts['generate:client'];
    expect(script).toContain(`-o ${GENERATED}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-gen-'));
    try {
      const out = path.join(dir, 'box.ts');
      const [bin, ...args] = script.replace(`-o ${GENERATED}`, `-o ${out}`).split(/\s+/);
      expect(bin).toBe('openapi-typescript');
      const res = spawnSync(process.execPath, [path.join(root, 'node_modules/openapi-typescript/bin/cli.js'), ...args], { cwd: root, encoding: 'utf8' });
      expect(res.status).toBe(0);
      const fresh = fs.readFileSync(out, 'utf8');
      const committed = fs.readFileSync(path.join(root, GENERATED), 'utf8');
      if (fresh !== committed) throw new Error(`${GENERATED} is stale: run npm run generate:client, then npx tsc --noEmit -p . to see what it breaks`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
