/** Runs the parity CLI as a child process, the way `npm run parity` does. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runParityCli(args: string[]): Promise<CliResult> {
  // --liftoff-only: V8's optimising compile of onnxruntime's 27 MB wasm costs ~1 min of CPU here.
  const argv = ['--liftoff-only', '--import', 'tsx', '--conditions=onnxruntime-web-use-extern-wasm', 'scripts/parity.ts', ...args];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { cwd: REPO, maxBuffer: 16 * 2 ** 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
