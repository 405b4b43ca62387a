import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../services/core/paths';

/** Berth's version, from package.json. */
export const version: string = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')).version;
