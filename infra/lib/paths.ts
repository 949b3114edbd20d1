import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, found from this file (infra/lib/) rather than from the working directory, so the
 * function's entry resolves the same under `cdk synth`, vitest and a platform team's own app. This is
 * `path.join(__dirname, '..', '..')`: the package is ESM, where `__dirname` comes from import.meta.url.
 */
export const REPOSITORY_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
