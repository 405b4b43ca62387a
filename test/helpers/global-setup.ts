import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Builds dist/ once, so tests that run Berth as a real process (the CLI, workers) use the same code
 * the package ships; and, when a Docker engine is configured, the local images the app tests install.
 */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '../..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (process.env.DOCKER_HOST) execFileSync('bash', [path.join(root, 'scripts/build-images.sh'), '--test'], { cwd: root, stdio: 'inherit' });
}
