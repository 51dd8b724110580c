/**
 * Node adapter for the SQL worker pool (tests, benchmarks): node:worker_threads running
 * worker-entry-node.ts. The worker loads TypeScript through tsx's loader, registered in the thread
 * before the entry is imported.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerFactory, WorkerPort } from './worker-pool';
import type { WorkerInbound, WorkerOutbound } from './worker-protocol';

const entryUrl = new URL('./worker-entry-node.ts', import.meta.url).href;
/** tsx's ESM API (its CommonJS twin cannot register the ESM hooks when imported from a worker). */
function tsxEsmApiUrl(): string {
  const cjsPath = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(cjsPath.replace(/index\.cjs$/, 'index.mjs')).href;
}
const tsxApiUrl = tsxEsmApiUrl();
const bootstrap = `import(${JSON.stringify(tsxApiUrl)}).then(({ register }) => { register(); return import(${JSON.stringify(entryUrl)}); });`;

export function createNodeWorkerPort(): WorkerPort {
  const worker = new Worker(bootstrap, { eval: true });
  let failed = false;
  return {
    post: (msg: WorkerInbound) => worker.postMessage(msg),
    listen(onMessage, onFailure) {
      worker.on('message', (msg: WorkerOutbound) => onMessage(msg));
      worker.on('error', (e) => {
        failed = true;
        onFailure(e instanceof Error ? e : new Error(String(e)));
      });
      worker.on('exit', (code) => {
        if (!failed) onFailure(new Error(`worker exited with code ${code}`));
      });
    },
    terminate: () => {
      failed = true;
      void worker.terminate();
    },
  };
}

export const nodeWorkerFactory: WorkerFactory = createNodeWorkerPort;
