/**
 * Prompts of a GRPO run: which training examples a step uses (an epoch-wise shuffle from the run's
 * 'prompts' random stream, as TRL's sampler walks a shuffled dataset) and how one becomes token ids
 * (document 000's system prompt and tags, hints appended in 'hints'/'both' modes, Gemma's chat
 * template, max_prompt_length, the schema pruned from the question when it does not fit). Examples
 * no prompt fits are skipped and counted.
 */
import type { DatasetExample } from '../dataset/types';
import { renderHints, withHints } from '../hints/inject';
import type { PolicyHint } from '../hints/types';
import type { ChatMessage } from '../model/tokenizer';
import { buildPrompt, type PromptInput, type PromptRefusal } from '../prompt/build-prompt';
import { SYSTEM_PROMPT } from '../prompt/format';
import { Rng, type RngState } from '../common/rng';

/** What the trainer needs of a tokenizer (Gemma3Tokenizer provides it). */
export interface PromptTokenizer {
  encode(text: string): number[];
  applyChatTemplate(messages: ChatMessage[], options: { addGenerationPrompt: boolean }): number[];
  decode(ids: readonly number[], options?: { skipSpecial?: boolean }): string;
  readonly stopTokenIds: readonly number[];
  readonly special: { pad: number };
}

export interface RenderedPrompt {
  ids: number[];
  /** Ids of the hints written into the prompt. */
  hintIds: string[];
  /** Tables pruned from the schema to fit max_prompt_length ([] when the whole schema is there). */
  prunedTables: string[];
}

export interface HintInjectionSettings {
  hints: readonly PolicyHint[];
  budgetTokens: number;
}

export type RenderResult = { ok: true; prompt: RenderedPrompt } | { ok: false; kind: PromptRefusal; reason: string };

/**
 * The prompt ids of a question, or why it cannot be used: the one way training, held-out
 * evaluation and the hint layer turn a question into a prompt (from its question and schema only;
 * see buildPrompt). With hints, the hints that bear on the tables the prompt keeps are added; a
 * prompt that would not fit with them is used without them (the question matters more than the
 * guidance).
 */
export function renderPrompt(input: PromptInput, tokenizer: PromptTokenizer, maxPromptLength: number, hints?: HintInjectionSettings): RenderResult {
  const countTokens = (text: string) => tokenizer.encode(text).length;
  const attempt = (systemPrompt: string, hintIds: string[]) => {
    const built = buildPrompt(input, { countTokens, maxPromptTokens: maxPromptLength, systemPrompt });
    if (!built.ok) return { result: { ok: false as const, kind: built.reason, reason: built.message }, tables: [] };
    const ids = tokenizer.applyChatTemplate(built.messages, { addGenerationPrompt: true });
    // buildPrompt estimates the template's overhead; the rendered ids are what must fit.
    if (ids.length > maxPromptLength) {
      return { result: { ok: false as const, kind: 'too-long' as const, reason: `prompt is ${ids.length} tokens with the chat template, max_prompt_length is ${maxPromptLength}` }, tables: [] };
    }
    return { result: { ok: true as const, prompt: { ids, hintIds, prunedTables: built.droppedTables } }, tables: built.tables };
  };
  const plain = attempt(SYSTEM_PROMPT, []);
  // A longer system prompt cannot fit where the plain one does not.
  if (!plain.result.ok || !hints || hints.hints.length === 0) return plain.result;
  // Hints about the tables the prompt shows (a pruned table's hints would point at nothing).
  const injection = renderHints(hints.hints, { tables: plain.tables.map((t) => t.toLowerCase()), countTokens, budgetTokens: hints.budgetTokens });
  if (injection.included.length > 0) {
    const withGuidance = attempt(withHints(SYSTEM_PROMPT, injection), injection.included.map((h) => h.id));
    if (withGuidance.result.ok) return withGuidance.result;
  }
  return plain.result;
}

export interface PromptSamplerState {
  rng: RngState;
  /** Indices into the training examples for the current epoch. */
  order: number[];
  cursor: number;
  epoch: number;
  /** Ids of examples no prompt can be built for within max_prompt_length (never drawn again). */
  tooLong: string[];
}

/** Draws training examples epoch by epoch from a seeded shuffle; state is JSON for checkpoints. */
export class PromptSampler {
  private readonly tooLong: Set<string>;

  private constructor(
    private readonly examples: readonly DatasetExample[],
    private rng: Rng,
    private order: number[],
    private cursor: number,
    private epoch: number,
    tooLong: readonly string[],
  ) {
    this.tooLong = new Set(tooLong);
  }

  static create(examples: readonly DatasetExample[], seed: number): PromptSampler {
    if (examples.length === 0) throw new Error('the training split has no examples');
    const rng = Rng.fromSeed(seed, 'prompts');
    return new PromptSampler(examples, rng, rng.shuffle(examples.map((_, i) => i)), 0, 0, []);
  }

  static fromState(examples: readonly DatasetExample[], state: PromptSamplerState): PromptSampler {
    if (state.order.length !== examples.length || state.order.some((i) => !Number.isInteger(i) || i < 0 || i >= examples.length)) {
      throw new Error(`checkpoint's prompt order covers ${state.order.length} examples, the training split has ${examples.length}: is this the same dataset and seed?`);
    }
    return new PromptSampler(examples, Rng.fromState(state.rng), [...state.order], state.cursor, state.epoch, state.tooLong);
  }

  state(): PromptSamplerState {
    return { rng: this.rng.getState(), order: [...this.order], cursor: this.cursor, epoch: this.epoch, tooLong: [...this.tooLong] };
  }

  /** Examples skipped so far because no prompt for them fits max_prompt_length. */
  get skippedTooLong(): number {
    return this.tooLong.size;
  }

  /**
   * The next `count` examples whose prompts render, in order. Examples that do not fit are marked
   * and skipped; fails when no example of the split can fit.
   */
  next(count: number, render: (e: DatasetExample) => RenderResult): { example: DatasetExample; prompt: RenderedPrompt }[] {
    const out: { example: DatasetExample; prompt: RenderedPrompt }[] = [];
    let misses = 0;
    while (out.length < count) {
      if (this.tooLong.size >= this.examples.length) {
        throw new Error(`no training example fits max_prompt_length: all ${this.examples.length} prompts are too long (raise max_prompt_length)`);
      }
      if (this.cursor >= this.order.length) {
        this.order = this.rng.shuffle(this.examples.map((_, i) => i));
        this.cursor = 0;
        this.epoch++;
      }
      const example = this.examples[this.order[this.cursor++]];
      if (this.tooLong.has(example.id)) continue;
      const r = render(example);
      if (r.ok) out.push({ example, prompt: r.prompt });
      else {
        this.tooLong.add(example.id);
        if (++misses > this.examples.length) throw new Error(`no training example fits max_prompt_length (last: ${r.reason})`);
      }
    }
    return out;
  }
}
