/** node:worker_threads entry for SQL execution (created by worker-port-node.ts). */
import { parentPort } from 'node:worker_threads';
import { startWorker } from './worker-core';
import type { WorkerInbound } from './worker-protocol';

if (!parentPort) throw new Error('worker-entry-node.ts must run in a worker thread');
const port = parentPort;
const receive = startWorker((msg) => port.postMessage(msg));
port.on('message', (msg: WorkerInbound) => receive(msg));
