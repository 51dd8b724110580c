import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../../src/rewards/registry';
import { buildTrainingRequest, isDatasetId, isRepoId, problemLines, rewardsFromPreset, type Setup } from '../../../src/ui/run-request';
import { DEFAULT_FORM } from '../../../src/ui/settings-form';
import { INITIAL_SETUP } from '../../../src/ui/store';
import { guessMapping, listColumns, needsMapping, readUpload } from '../../../src/ui/upload-columns';

const setup = (change: Partial<Setup>): Setup => ({ ...INITIAL_SETUP, ...change });

describe('training request', () => {
  it('defaults: offline, the demo model with its preset on the synthetic corpus, the default reward preset, LoRA on WebGPU', () => {
    const built = buildTrainingRequest(INITIAL_SETUP);
    if (!('request' in built)) throw new Error(problemLines(built.problems).join('; '));
    expect(built.request.model).toEqual({ kind: 'bundled-demo' });
    expect(built.request.dataset).toEqual({ kind: 'synthetic', size: 2000, seed: 1 });
    expect(built.request.rewards).toEqual(Object.entries(PRESETS.default).map(([name, weight]) => ({ name, weight })));
    expect(built.request.mode).toBe('lora');
    expect(built.request.backend).toBe('webgpu');
    expect(built.request.config.num_generations).toBe(8);
    expect(built.request.config.max_completion_length).toBe(96);
    expect(built.request.resumeFrom).toBeUndefined();
  });

  it('the tiny model and the sample with tiny settings, resuming a checkpoint', () => {
    const built = buildTrainingRequest(
      setup({ model: { kind: 'bundled-tiny' }, dataset: { kind: 'sample' }, settings: { ...DEFAULT_FORM, per_device_train_batch_size: '8', max_completion_length: '16', max_steps: '3' } }),
      'ck-2',
    );
    expect('request' in built && built.request).toMatchObject({
      model: { kind: 'bundled-tiny' },
      dataset: { kind: 'sample' },
      config: { per_device_train_batch_size: 8, max_completion_length: 16, max_steps: 3 },
      resumeFrom: 'ck-2',
    });
  });

  it('the synthetic corpus with its size and seed, each checked', () => {
    const built = buildTrainingRequest(setup({ dataset: { kind: 'synthetic', size: ' 1500 ', seed: '-3' } }));
    expect('request' in built && built.request.dataset).toEqual({ kind: 'synthetic', size: 1500, seed: -3 });
    const problem = (size: string, seed: string) => {
      const b = buildTrainingRequest(setup({ dataset: { kind: 'synthetic', size, seed } }));
      return 'problems' in b ? b.problems.dataset : undefined;
    };
    expect(problem('many', '1')).toEqual(["synthetic size must be a whole number, got 'many'"]);
    expect(problem('100', '1.5')).toEqual(["synthetic seed must be a whole number, got '1.5'"]);
    expect(problem('0', '1')).toEqual(['synthetic corpus: size must be a whole number from 1 to 200000, got 0']);
    expect(problem('200001', '1')).toEqual(['synthetic corpus: size must be a whole number from 1 to 200000, got 200001']);
    expect(problem('99999999999999999999', '1')![0]).toMatch(/size must be a whole number from 1 to 200000/);
  });

  it('sends the hub token only when one is given', () => {
    const built = buildTrainingRequest(setup({ model: { kind: 'hub', repo: 'me/gemma', token: ' hf_x ' } }));
    expect('request' in built && built.request.model).toEqual({ kind: 'hub', repo: 'me/gemma', token: 'hf_x' });
  });

  it('sends the Hub endpoint with hub models and hub datasets (normalised), never with the bundled ones; an invalid one is a problem of each', () => {
    const hub = { model: { kind: 'hub', repo: 'me/gemma', token: '' }, dataset: { kind: 'hub', id: 'me/sql/rows.json' } } as const;
    const built = buildTrainingRequest(setup({ ...hub, hubEndpoint: ' https://hf-mirror.com/ ' }));
    expect('request' in built && [built.request.model, built.request.dataset]).toEqual([
      { kind: 'hub', repo: 'me/gemma', endpoint: 'https://hf-mirror.com' },
      { kind: 'hub', id: 'me/sql/rows.json', endpoint: 'https://hf-mirror.com' },
    ]);
    const plain = buildTrainingRequest(setup({ ...hub, hubEndpoint: 'https://huggingface.co/' }));
    expect('request' in plain && [plain.request.model, plain.request.dataset]).toEqual([{ kind: 'hub', repo: 'me/gemma' }, { kind: 'hub', id: 'me/sql/rows.json' }]);
    const bad = buildTrainingRequest(setup({ ...hub, hubEndpoint: 'hf-mirror.com' }));
    expect('problems' in bad && problemLines(bad.problems)).toEqual([
      'Model: Hub endpoint must be an http(s) URL such as https://hf-mirror.com, got "hf-mirror.com"',
      'Dataset: Hub endpoint must be an http(s) URL such as https://hf-mirror.com, got "hf-mirror.com"',
    ]);
    // The bundled model and the synthetic corpus need no hub: a bad endpoint does not stop them.
    expect('request' in buildTrainingRequest(setup({ hubEndpoint: 'hf-mirror.com' }))).toBe(true);
  });

  it('a model folder goes to the engine as its File objects, once it holds the required files; what is missing is named', () => {
    const file = (name: string) => new File(['{}'], name);
    const complete = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map(file);
    const built = buildTrainingRequest(setup({ model: { kind: 'files', name: 'gemma', files: complete } }));
    expect('request' in built && built.request.model).toEqual({ kind: 'files', name: 'gemma', files: complete });
    const lacking = buildTrainingRequest(setup({ model: { kind: 'files', name: 'gemma', files: [file('config.json'), file('model-00001-of-00002.safetensors')] } }));
    expect('problems' in lacking && lacking.problems.model).toEqual(['the folder "gemma" lacks tokenizer.json, tokenizer_config.json, model.safetensors (or model.safetensors.index.json and its shards)']);
    const reloaded = buildTrainingRequest(setup({ model: { kind: 'files', name: 'gemma', files: [] } }));
    expect('problems' in reloaded && reloaded.problems.model).toEqual(['open the model folder "gemma" again (a page keeps no access to it after a reload)']);
    // Asked to keep a copy: the copy, while the files are out of reach; the files (and a fresh copy) once opened again.
    const copy = buildTrainingRequest(setup({ model: { kind: 'files', name: 'gemma', files: [], keepCopy: true } }));
    expect('request' in copy && copy.request.model).toEqual({ kind: 'stored-folder', name: 'gemma' });
    const both = buildTrainingRequest(setup({ model: { kind: 'files', name: 'gemma', files: complete, keepCopy: true } }));
    expect('request' in both && both.request.model).toEqual({ kind: 'files', name: 'gemma', files: complete, keepCopy: true });
    const none = buildTrainingRequest(setup({ model: { kind: 'files', name: '', files: [] } }));
    expect('problems' in none && none.problems.model).toEqual(['open a model folder']);
  });

  it('collects every problem, each under its part of the setup', () => {
    const rewards = rewardsFromPreset('default').map((r) => ({ ...r, enabled: false }));
    const built = buildTrainingRequest(setup({ model: { kind: 'hub', repo: 'gemma', token: '' }, dataset: { kind: 'upload', file: null }, settings: { ...DEFAULT_FORM, beta: '-1' }, rewards }));
    if (!('problems' in built)) throw new Error('expected problems');
    expect(problemLines(built.problems)).toEqual([
      'Model: "gemma" is not a Hugging Face repo id (owner/name)',
      'Dataset: choose a file to upload',
      'Settings: beta must be a number ≥ 0, got -1',
      'Rewards: choose at least one reward function',
    ]);
  });

  it('rejects a reward weight that is not a number', () => {
    const rewards = rewardsFromPreset('doc000').map((r) => (r.name === 'check_answer' ? { ...r, weight: 'x' } : r));
    const built = buildTrainingRequest(setup({ rewards }));
    expect('problems' in built && built.problems.rewards).toEqual(["weight of check_answer must be a number, got 'x'"]);
  });

  it('knows repo ids', () => {
    expect(isRepoId('unsloth/gemma-3-1b-it')).toBe(true);
    expect(isRepoId('b-mc2/sql-create-context')).toBe(true);
    expect(isRepoId('gemma')).toBe(false);
    expect(isRepoId('a/b/c')).toBe(false);
    expect(isDatasetId('b-mc2/sql-create-context')).toBe(true);
    expect(isDatasetId('me/spider/data/train.jsonl')).toBe(true);
    expect(isDatasetId('spider')).toBe(false);
    expect(isDatasetId('me//x.json')).toBe(false);
  });
});

describe('upload columns', () => {
  it('reads CSV headers, JSON and JSONL keys', () => {
    expect(listColumns('question,context,answer\n"a, b",c,d\n', 'x.csv')).toEqual(['question', 'context', 'answer']);
    expect(listColumns('[{"nl":"q","ddl":"c"},{"sql":"s"}]', 'x.json')).toEqual(['nl', 'ddl', 'sql']);
    expect(listColumns('{"q":1}\nnot json\n{"schema":2}\n', 'x.jsonl')).toEqual(['q', 'schema']);
  });

  it('guesses the usual names and leaves the others for the person', () => {
    expect(guessMapping(['utterance', 'schema', 'gold_sql'])).toEqual({ question: 'utterance', context: 'schema', answer: 'gold_sql' });
    expect(guessMapping(['Q', 'Tables', 'SQL'])).toEqual({ question: '', context: '', answer: 'SQL' });
  });

  it('an upload with unusual names needs the mapping form; an unreadable one says why', () => {
    const odd = readUpload('odd.csv', 'Q,Tables,SQL\na,b,c\n');
    expect(odd.error).toBeUndefined();
    expect(needsMapping(odd)).toBe(true);
    expect(needsMapping(readUpload('ok.csv', 'question,context,answer\n'))).toBe(false);
    expect(readUpload('bad.json', '[{').error).toMatch(/JSON/);
  });

  it('an upload becomes a request once every field has a column', () => {
    const file = readUpload('odd.csv', 'Q,Tables,SQL\na,b,c\n');
    const missing = buildTrainingRequest(setup({ dataset: { kind: 'upload', file } }));
    expect('problems' in missing && missing.problems.dataset).toEqual(['choose the column for question, context']);
    const mapped = { ...file, mapping: { question: 'Q', context: 'Tables', answer: 'SQL' } };
    const built = buildTrainingRequest(setup({ dataset: { kind: 'upload', file: mapped } }));
    expect('request' in built && built.request.dataset).toEqual({ kind: 'upload', name: 'odd.csv', text: 'Q,Tables,SQL\na,b,c\n', mapping: { question: 'Q', context: 'Tables', answer: 'SQL' } });
  });
});
