/**
 * renderPrompt, the one way a run turns a question into prompt ids (training, held-out evaluation,
 * the hint layer), with the real Gemma-3 tokenizer: a pruned schema, hints chosen for the tables
 * the prompt keeps, the fallback without hints, and refusals with their kind.
 */
import { describe, expect, it } from 'vitest';
import { renderPrompt } from '../../../src/grpo/trainer-prompts';
import { HintStore } from '../../../src/hints/store';
import { gemmaTokenizer } from './tiny-setup';

const wide = Array.from({ length: 40 }, (_, i) => `reading_${i} INTEGER`).join(', ');
const input = { question: 'How many singers are older than 30?', context: `CREATE TABLE singer (singer_id INTEGER, name VARCHAR, age INTEGER); CREATE TABLE sensor (${wide})` };

function hintStore() {
  const store = new HintStore();
  const onSinger = store.addHint({ pattern: 'agg:COUNT', weight: 0.8, tables: ['singer'] });
  const onSensor = store.addHint({ pattern: 'agg:MAX', weight: 0.9, tables: ['sensor'] });
  const global = store.addHint({ pattern: 'clause:WHERE', weight: 0.5 });
  return { hints: store.hints(), ids: { onSinger: onSinger.id, onSensor: onSensor.id, global: global.id } };
}

describe('renderPrompt', () => {
  it('prunes the schema to fit and injects only the hints about tables the prompt keeps', () => {
    const tk = gemmaTokenizer();
    const { hints, ids } = hintStore();
    const r = renderPrompt(input, tk, 256, { hints, budgetTokens: 64 });
    if (!r.ok) throw new Error(r.reason);
    expect(r.prompt.prunedTables).toEqual(['sensor']);
    expect(r.prompt.ids.length).toBeLessThanOrEqual(256);
    expect([...r.prompt.hintIds].sort()).toEqual([ids.onSinger, ids.global].sort());
    const text = tk.decode(r.prompt.ids);
    expect(text).not.toContain('CREATE TABLE sensor');
    expect(text).toContain('CREATE TABLE singer (singer_id INTEGER, name VARCHAR, age INTEGER);');
    // Without pruning (room for everything), the sensor hint is relevant too.
    const roomy = renderPrompt(input, tk, 1024, { hints, budgetTokens: 64 });
    expect(roomy.ok && [...roomy.prompt.hintIds].sort()).toEqual([ids.onSinger, ids.onSensor, ids.global].sort());
  });

  it('drops the hints, not the question, when they would not fit', () => {
    const tk = gemmaTokenizer();
    const { hints } = hintStore();
    // The smallest budget the plain prompt fits (buildPrompt's template estimate is an upper bound).
    let budget = 100;
    while (!renderPrompt(input, tk, budget).ok) budget++;
    const plain = renderPrompt(input, tk, budget);
    const tight = renderPrompt(input, tk, budget, { hints, budgetTokens: 64 });
    expect(tight).toEqual(plain);
    expect(tight.ok && tight.prompt.hintIds).toEqual([]);
  });

  it('refuses with a kind and a reason', () => {
    const tk = gemmaTokenizer();
    expect(renderPrompt(input, tk, 60)).toMatchObject({ ok: false, kind: 'budget-too-small' });
    expect(renderPrompt({ question: 'Is it raining?', context: input.context }, tk, 256)).toMatchObject({ ok: false, kind: 'no-schema-link' });
    expect(renderPrompt({ question: 'q', context: 'CREATE TABLE t (' }, tk, 256)).toMatchObject({ ok: false, kind: 'bad-schema' });
  });
});
