/**
 * Prunes a BPE tokenizer (tokenizer.json + tokenizer_config.json, the Hugging Face formats) to the
 * tokens a body of text needs, for small models whose embedding would otherwise be mostly unused
 * rows (Gemma-3's 262,144 tokens for a model that only ever sees SQL about a few domains).
 *
 * Kept: every token the full tokenizer produces for the texts, with every intermediate token BPE
 * made on the way to it, the special tokens, and the 256 byte-fallback tokens (so any other text
 * still encodes, byte by byte). Kept merges are those whose parts and
 * result are all kept, in their original order. Then the pruned tokenizer encodes every one of the
 * texts exactly as the full one did (ids mapped): BPE applies, at each point, the lowest-ranked
 * merge among adjacent pairs; the full tokenizer's choice is always among the kept merges, and kept
 * merges are a subset, so the choice is the same. Ids are renumbered in the original order, so the
 * leading special tokens (<pad> 0, <eos> 1, <bos> 2, <unk> 3) keep their ids.
 */

type Json = Record<string, unknown>;

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  [key: string]: unknown;
}

export interface PrunedTokenizer {
  tokenizerJson: Json;
  tokenizerConfig: Json;
  /** Old id -> new id of every kept token. */
  oldToNew: Map<number, number>;
  /** Number of ids of the pruned vocabulary. */
  vocabSize: number;
}

export class TokenizerPruneError extends Error {
  constructor(message: string) {
    super(`tokenizer pruning: ${message}`);
    this.name = 'TokenizerPruneError';
  }
}

const BYTE_TOKEN = /^<0x[0-9A-F]{2}>$/;

function mergeParts(m: unknown): [string, string] {
  if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
  if (typeof m === 'string') {
    // The older "a b" form: the first space separates the parts.
    const i = m.indexOf(' ');
    if (i > 0) return [m.slice(0, i), m.slice(i + 1)];
  }
  throw new TokenizerPruneError(`unreadable merge ${JSON.stringify(m)}`);
}

/**
 * @param encode the full tokenizer's ids for a text, without added special tokens
 * @param texts every text the pruned tokenizer must encode exactly as the full one
 */
export function pruneTokenizer(tokenizerJson: Json, tokenizerConfig: Json, texts: readonly string[], encode: (text: string) => number[]): PrunedTokenizer {
  const model = tokenizerJson.model as Json | undefined;
  if (!model || model.type !== 'BPE' || typeof model.vocab !== 'object' || !Array.isArray(model.merges)) throw new TokenizerPruneError('tokenizer.json must hold a BPE model with a vocab and merges');
  const vocab = model.vocab as Record<string, number>;
  const idToToken = new Map<number, string>();
  for (const [tok, id] of Object.entries(vocab)) idToToken.set(id, tok);
  const added = (tokenizerJson.added_tokens as AddedToken[] | undefined) ?? [];
  for (const a of added) idToToken.set(a.id, a.content);

  const keep = new Set<number>();
  for (const a of added) if (a.special) keep.add(a.id);
  for (const [tok, id] of Object.entries(vocab)) if (BYTE_TOKEN.test(tok)) keep.add(id);
  if (typeof model.unk_token === 'string' && model.unk_token in vocab) keep.add(vocab[model.unk_token]);
  for (const text of texts) for (const id of encode(text)) {
    if (!idToToken.has(id)) throw new TokenizerPruneError(`encode gave id ${id}, which the tokenizer does not have`);
    keep.add(id);
  }

  // Close under the merges that build each kept token. A final token's merges never cross its
  // edges, and within them BPE always took the lowest-ranked pair, so running BPE on the token's
  // own characters replays exactly the merges that built it: their results are what must stay.
  const merges = (model.merges as unknown[]).map(mergeParts);
  const rank = new Map<string, number>();
  merges.forEach(([a, b], i) => {
    const key = `${a} ${b}`;
    if (!rank.has(key)) rank.set(key, i);
  });
  const keepToken = (tok: string) => {
    const id = vocab[tok];
    if (id === undefined) throw new TokenizerPruneError(`BPE of a kept token reached ${JSON.stringify(tok)}, which is not in the vocabulary`);
    keep.add(id);
  };
  const addedIds = new Set(added.map((a) => a.id));
  for (const id of [...keep]) {
    const tok = idToToken.get(id)!;
    if (addedIds.has(id) || BYTE_TOKEN.test(tok)) continue; // added tokens and byte tokens are atoms
    const symbols = Array.from(tok);
    if (symbols.every((c) => c in vocab)) symbols.forEach(keepToken);
    else continue; // made of byte-fallback pieces: those are kept already
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = rank.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      symbols.splice(best, 2, symbols[best]! + symbols[best + 1]!);
      keepToken(symbols[best]!);
    }
    if (symbols.length !== 1 || symbols[0] !== tok) throw new TokenizerPruneError(`BPE of ${JSON.stringify(tok)} on its own gives ${JSON.stringify(symbols)}: the token cannot be rebuilt from its characters`);
  }

  const kept = [...keep].sort((a, b) => a - b);
  const oldToNew = new Map(kept.map((id, i) => [id, i]));
  const keptTokens = new Set(kept.map((id) => idToToken.get(id)!));
  const newVocab: Record<string, number> = {};
  for (const [tok, id] of Object.entries(vocab)) if (oldToNew.has(id)) newVocab[tok] = oldToNew.get(id)!;
  const newMerges = merges.filter(([a, b]) => keptTokens.has(a) && keptTokens.has(b) && keptTokens.has(a + b));
  const newAdded = added.filter((a) => oldToNew.has(a.id)).map((a) => ({ ...a, id: oldToNew.get(a.id)! }));

  const json: Json = { ...tokenizerJson, added_tokens: newAdded, model: { ...model, vocab: newVocab, merges: newMerges }, post_processor: remapPostProcessor(tokenizerJson.post_processor, (token) => oldToNew.get(vocab[token] ?? added.find((a) => a.content === token)?.id ?? -1)) };
  const decoder = (tokenizerConfig.added_tokens_decoder as Record<string, unknown> | undefined) ?? {};
  const newDecoder: Record<string, unknown> = {};
  for (const [id, entry] of Object.entries(decoder)) {
    const n = oldToNew.get(Number(id));
    if (n !== undefined) newDecoder[String(n)] = entry;
  }
  return { tokenizerJson: json, tokenizerConfig: { ...tokenizerConfig, added_tokens_decoder: newDecoder }, oldToNew, vocabSize: kept.length };
}

/** TemplateProcessing names special tokens with their ids: renumber them. */
function remapPostProcessor(pp: unknown, newId: (token: string) => number | undefined): unknown {
  if (!pp || typeof pp !== 'object') return pp;
  const p = pp as Json;
  if (p.type === 'Sequence' && Array.isArray(p.processors)) return { ...p, processors: p.processors.map((x) => remapPostProcessor(x, newId)) };
  if (p.type !== 'TemplateProcessing' || typeof p.special_tokens !== 'object' || !p.special_tokens) return pp;
  const special: Json = {};
  for (const [name, entry] of Object.entries(p.special_tokens as Record<string, { tokens: string[]; ids: number[] }>)) {
    const ids = entry.tokens.map((t) => {
      const id = newId(t);
      if (id === undefined) throw new TokenizerPruneError(`post-processor token ${t} was not kept`);
      return id;
    });
    special[name] = { ...entry, ids };
  }
  return { ...p, special_tokens: special };
}
