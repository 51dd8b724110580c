/**
 * Loads sql.js once per thread. This is the only place that knows where the wasm comes from:
 * in Node (tests, benchmarks, worker_threads) it is read from node_modules/sql.js/dist/sql-wasm.wasm;
 * in the browser Vite emits it as an asset and hands us its URL through a `?url` import.
 */
import initSqlJs, { type SqlJsStatic } from 'sql.js';

let loading: Promise<SqlJsStatic> | undefined;

export function isNodeRuntime(): boolean {
  return typeof process !== 'undefined' && typeof process.versions === 'object' && process.versions?.node != null;
}

async function loadInNode(): Promise<SqlJsStatic> {
  // Specifiers in variables keep Vite from trying to bundle Node built-ins into the browser build.
  const moduleSpecifier = 'node:module';
  const fsSpecifier = 'node:fs/promises';
  const { createRequire } = (await import(/* @vite-ignore */ moduleSpecifier)) as typeof import('node:module');
  const { readFile } = (await import(/* @vite-ignore */ fsSpecifier)) as typeof import('node:fs/promises');
  const wasmPath = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
  const wasmBinary = new Uint8Array(await readFile(wasmPath));
  return initSqlJs({ wasmBinary });
}

async function loadInBrowser(): Promise<SqlJsStatic> {
  const { default: wasmUrl } = await import('sql.js/dist/sql-wasm.wasm?url');
  return initSqlJs({ locateFile: () => wasmUrl });
}

/** sql.js, initialised on first use (later calls share the same instance). */
export function loadSqlJs(): Promise<SqlJsStatic> {
  loading ??= (isNodeRuntime() ? loadInNode() : loadInBrowser()).catch((e: unknown) => {
    loading = undefined;
    throw new Error(`sql.js failed to load: ${e instanceof Error ? e.message : String(e)}`);
  });
  return loading;
}
