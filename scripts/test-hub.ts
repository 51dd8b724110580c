/**
 * Serves the loopback test hub (tests/support/test-hub.ts) by hand: a model repo from a checkpoint
 * folder and a dataset repo from a file, on 127.0.0.1, the hub and its CDN on two ports.
 *
 *   npx tsx scripts/test-hub.ts [--port 8787] [--cdn-port 8788] [--model DIR] [--repo ID]
 *                               [--dataset FILE] [--dataset-id ID] [--dataset-file NAME] [--gated TOKEN]
 *                               [--gemma3-1b SEED]
 *
 * Defaults: the tiny model (public/models/tiny-gemma3, `npx tsx scripts/make-tiny-model.ts`) as
 * webgrpo/tiny-gemma3-test, the shipped sample dataset as b-mc2/sql-create-context. --gated makes
 * the model repo gated, readable with that token. --gemma3-1b SEED serves google/gemma-3-1b-it's
 * layout instead (tests/support/gemma3-1b-repo.ts: published config, real tokenizer, a 2.0 GB bf16
 * model.safetensors of random weights computed per range from SEED, never stored) under the repo id
 * google/gemma-3-1b-it (or --repo). Prints the URLs, runs until Ctrl-C.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gemma3_1bFiles } from '../tests/support/gemma3-1b-repo';
import { TestHub, filesFromDir, type FileProvider } from '../tests/support/test-hub';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') {
      console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?|^ \* ?/gm, ''));
      process.exit(0);
    }
    if (!a.startsWith('--') || argv[i + 1] === undefined) throw new Error(`test hub: bad argument ${a} (see --help)`);
    out[a.slice(2)] = argv[++i]!;
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const seed = args['gemma3-1b'] === undefined ? null : Number(args['gemma3-1b']);
  if (seed !== null && !Number.isSafeInteger(seed)) throw new Error(`test hub: --gemma3-1b needs an integer seed, got ${args['gemma3-1b']}`);
  let modelFiles: Record<string, FileProvider>;
  if (seed !== null) modelFiles = gemma3_1bFiles(seed);
  else {
    const modelDir = path.resolve(args.model ?? path.join(repoRoot, 'public/models/tiny-gemma3'));
    if (!existsSync(path.join(modelDir, 'config.json'))) throw new Error(`test hub: ${modelDir} has no config.json (run npx tsx scripts/make-tiny-model.ts, or pass --model DIR)`);
    modelFiles = filesFromDir(modelDir, { skip: (p) => p === 'manifest.json' });
  }
  const datasetFile = path.resolve(args.dataset ?? path.join(repoRoot, 'public/data/sql-create-context-sample.json'));
  const hub = new TestHub({ token: args.gated });
  const repo = args.repo ?? (seed !== null ? 'google/gemma-3-1b-it' : 'webgrpo/tiny-gemma3-test');
  const commit = hub.commit(repo, modelFiles, { gated: args.gated !== undefined });
  const datasetId = args['dataset-id'] ?? 'b-mc2/sql-create-context';
  const datasetCommit = hub.commit(datasetId, { [args['dataset-file'] ?? 'sql_create_context_v4.json']: new Uint8Array(readFileSync(datasetFile)) }, { type: 'dataset' });
  await hub.start({ hub: Number(args.port ?? 8787), cdn: Number(args['cdn-port'] ?? 8788) });
  console.log(`test hub at ${hub.hubUrl} (CDN ${hub.cdnUrl})`);
  console.log(`  model   ${repo} @ ${commit}${args.gated !== undefined ? ' (gated)' : ''}: ${hub.hubUrl}/${repo}/resolve/main/config.json`);
  console.log(`  dataset ${datasetId} @ ${datasetCommit}: ${hub.hubUrl}/datasets/${datasetId}/resolve/main/${args['dataset-file'] ?? 'sql_create_context_v4.json'}`);
  const close = () => void hub.stop().finally(() => process.exit(0));
  process.on('SIGINT', close);
  process.on('SIGTERM', close);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
