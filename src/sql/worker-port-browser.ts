/** Browser adapter for the SQL worker pool: a module Web Worker running worker-entry-browser.ts (bundled by Vite). */
import type { WorkerFactory, WorkerPort } from './worker-pool';
import type { WorkerInbound, WorkerOutbound } from './worker-protocol';

export function createBrowserWorkerPort(): WorkerPort {
  const worker = new Worker(new URL('./worker-entry-browser.ts', import.meta.url), { type: 'module', name: 'sql-executor' });
  return {
    post: (msg: WorkerInbound) => worker.postMessage(msg),
    listen(onMessage, onFailure) {
      worker.onmessage = (e: MessageEvent<WorkerOutbound>) => onMessage(e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        onFailure(new Error(e.message || 'SQL worker error'));
      };
      worker.onmessageerror = () => onFailure(new Error('SQL worker sent a message that could not be read'));
    },
    terminate: () => worker.terminate(),
  };
}

export const browserWorkerFactory: WorkerFactory = createBrowserWorkerPort;
