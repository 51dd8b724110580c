/**
 * Gemma-3 tokenizer and chat template, through transformers.js (@huggingface/transformers): its
 * GemmaTokenizer runs tokenizer.json, and its apply_chat_template renders the Jinja chat template of
 * tokenizer_config.json. Files come from the hub (hub.ts, cached) or from JSON objects already
 * in hand, never from transformers.js's own downloader.
 */
import { GemmaTokenizer, PreTrainedTokenizer } from '@huggingface/transformers';
import type { HubClient } from './hub';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface Gemma3SpecialIds {
  bos: number;
  eos: number;
  pad: number;
  startOfTurn: number;
  endOfTurn: number;
}

export class TokenizerError extends Error {
  constructor(message: string) {
    super(`tokenizer: ${message}`);
    this.name = 'TokenizerError';
  }
}

const SPECIAL_TOKENS: Record<keyof Gemma3SpecialIds, string> = {
  bos: '<bos>',
  eos: '<eos>',
  pad: '<pad>',
  startOfTurn: '<start_of_turn>',
  endOfTurn: '<end_of_turn>',
};

type Json = Record<string, unknown>;

export class Gemma3Tokenizer {
  readonly special: Gemma3SpecialIds;
  /** Generation stops at any of these: <end_of_turn> (end of the model's turn), then <eos>. */
  readonly stopTokenIds: readonly number[];
  /** Number of ids in the vocabulary (tokenizer.json model vocab + added tokens). */
  readonly vocabSize: number;
  /**
   * One more than the largest id plain text can encode to: the model vocabulary's and the added
   * tokens' that are not special (gemma-3's <image_soft_token>, id 262144, is special and lies past
   * the 1B model's 262,144 embedding rows).
   */
  readonly textVocabSize: number;

  private readonly vocab: Map<string, number>;

  private constructor(
    private readonly tk: PreTrainedTokenizer,
    textVocabSize?: number,
  ) {
    const vocab = tk.get_vocab();
    this.vocab = vocab;
    const ids = {} as Gemma3SpecialIds;
    for (const [key, token] of Object.entries(SPECIAL_TOKENS) as [keyof Gemma3SpecialIds, string][]) {
      const id = vocab.get(token);
      if (id === undefined) throw new TokenizerError(`the vocabulary has no ${token} token; is this a Gemma-3 tokenizer?`);
      ids[key] = id;
    }
    this.special = ids;
    this.stopTokenIds = [ids.endOfTurn, ids.eos];
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;
    this.textVocabSize = textVocabSize ?? this.vocabSize;
    if (!tk.chat_template) throw new TokenizerError('tokenizer_config.json has no chat_template');
  }

  /** From parsed tokenizer.json and tokenizer_config.json. */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown): Gemma3Tokenizer {
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null || !('model' in tokenizerJson)) {
      throw new TokenizerError('tokenizer.json must be an object with a "model" entry');
    }
    if (typeof tokenizerConfig !== 'object' || tokenizerConfig === null) throw new TokenizerError('tokenizer_config.json must be an object');
    const cls = (tokenizerConfig as Json)['tokenizer_class'];
    // GemmaTokenizer(Fast) is what Gemma-3 checkpoints name; the base class serves anything else.
    const Impl = typeof cls === 'string' && cls.startsWith('GemmaTokenizer') ? GemmaTokenizer : PreTrainedTokenizer;
    return new Gemma3Tokenizer(new Impl(tokenizerJson, tokenizerConfig), textIdCount(tokenizerJson as Json));
  }

  /** Loads tokenizer.json and tokenizer_config.json through the hub client (and its cache). */
  static async fromHub(client: HubClient, subfolder = ''): Promise<Gemma3Tokenizer> {
    const prefix = subfolder ? `${subfolder.replace(/\/+$/, '')}/` : '';
    await client.download([`${prefix}tokenizer.json`, `${prefix}tokenizer_config.json`]);
    const [json, config] = await Promise.all([client.json(`${prefix}tokenizer.json`), client.json(`${prefix}tokenizer_config.json`)]);
    return Gemma3Tokenizer.fromJson(json, config);
  }

  /** Token ids of plain text, without BOS or any other added token. */
  encode(text: string): number[] {
    return this.tk.encode(text, { add_special_tokens: false });
  }

  /** The chat template's text output (starts with "<bos>"). */
  renderChat(messages: ChatMessage[], options: { addGenerationPrompt: boolean }): string {
    checkMessages(messages);
    return this.tk.apply_chat_template(messages, { tokenize: false, add_generation_prompt: options.addGenerationPrompt });
  }

  /**
   * Token ids of a conversation, with exactly one BOS: the template writes "<bos>" itself, so the
   * rendered text is encoded without adding special tokens.
   */
  applyChatTemplate(messages: ChatMessage[], options: { addGenerationPrompt: boolean }): number[] {
    const ids = this.encode(this.renderChat(messages, options));
    if (ids[0] !== this.special.bos) ids.unshift(this.special.bos);
    if (ids.filter((id) => id === this.special.bos).length !== 1) {
      throw new TokenizerError('the chat template produced more than one <bos>');
    }
    return ids;
  }

  /** Text of the ids; skipSpecial drops special tokens such as <bos>, <start_of_turn>, <end_of_turn>. */
  decode(ids: readonly number[], options: { skipSpecial?: boolean } = {}): string {
    if (ids.length === 0) return '';
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new TokenizerError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    }
    return this.tk.decode([...ids], { skip_special_tokens: options.skipSpecial ?? false });
  }

  /** The id of one token string (e.g. "<end_of_turn>"), or undefined. */
  tokenId(token: string): number | undefined {
    return this.vocab.get(token);
  }
}

/** One more than the largest id of tokenizer.json's model vocabulary and non-special added tokens. */
function textIdCount(json: Json): number | undefined {
  const model = json['model'] as Json | undefined;
  const vocab = model?.['vocab'];
  let max = -1;
  if (Array.isArray(vocab)) {
    max = vocab.length - 1; // Unigram: [token, score] pairs, id = index
  } else if (vocab && typeof vocab === 'object') {
    for (const id of Object.values(vocab as Record<string, unknown>)) if (typeof id === 'number' && id > max) max = id;
  } else {
    return undefined;
  }
  const added = Array.isArray(json['added_tokens']) ? (json['added_tokens'] as Json[]) : [];
  for (const t of added) if (t['special'] !== true && typeof t['id'] === 'number' && t['id'] > max) max = t['id'];
  return max + 1;
}

function checkMessages(messages: ChatMessage[]): void {
  if (messages.length === 0) throw new TokenizerError('a conversation needs at least one message');
  messages.forEach((m, i) => {
    if (m.role !== 'system' && m.role !== 'user' && m.role !== 'assistant') {
      throw new TokenizerError(`message ${i} has role ${JSON.stringify(m.role)}; expected system, user or assistant`);
    }
    if (typeof m.content !== 'string') throw new TokenizerError(`message ${i} content must be a string`);
    if (m.role === 'system' && i !== 0) throw new TokenizerError(`message ${i}: a system message must come first`);
  });
}
