/// <reference lib="webworker" />
/** Web Worker entry for SQL execution (created by worker-port-browser.ts). */
import { startWorker } from './worker-core';
import type { WorkerInbound } from './worker-protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const receive = startWorker((msg) => scope.postMessage(msg));
scope.onmessage = (e: MessageEvent<WorkerInbound>) => receive(e.data);
