import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { embedScale, gemma3_1bConfig, isKeyVisible, notGemma3Text, parseGemma3Config, parseGemma3ConfigText } from '../../../src/model/config';
import { fixturePath } from './fixture';

const fixtureJson = (): Record<string, unknown> => JSON.parse(readFileSync(fixturePath('config.json'), 'utf8'));

/** google/gemma-3-1b-it config.json as published (transformers 4.50 form). */
const GEMMA3_1B_JSON = {
  architectures: ['Gemma3ForCausalLM'], attention_bias: false, attention_dropout: 0.0, attn_logit_softcapping: null,
  bos_token_id: 2, cache_implementation: 'hybrid', eos_token_id: [1, 106], final_logit_softcapping: null, head_dim: 256,
  hidden_activation: 'gelu_pytorch_tanh', hidden_size: 1152, initializer_range: 0.02, intermediate_size: 6912,
  max_position_embeddings: 32768, model_type: 'gemma3_text', num_attention_heads: 4, num_hidden_layers: 26,
  num_key_value_heads: 1, pad_token_id: 0, query_pre_attn_scalar: 256, rms_norm_eps: 1e-6, rope_local_base_freq: 10000,
  rope_scaling: null, rope_theta: 1000000, sliding_window: 512, sliding_window_pattern: 6, torch_dtype: 'bfloat16',
  transformers_version: '4.50.0.dev0', use_cache: true, vocab_size: 262144,
};

describe('parseGemma3Config', () => {
  it('reads the fixture (transformers 5.x form: layer_types + rope_parameters)', () => {
    const c = parseGemma3Config(fixtureJson());
    expect(c).toMatchObject({
      vocabSize: 384, hiddenSize: 64, intermediateSize: 160, numLayers: 6, numHeads: 4, numKvHeads: 1, headDim: 16,
      queryPreAttnScalar: 16, rmsNormEps: 1e-6, slidingWindow: 8, maxPositionEmbeddings: 256,
      finalLogitSoftcapping: null, attnLogitSoftcapping: null, tieWordEmbeddings: true,
      bosTokenId: 2, eosTokenIds: [1, 106], padTokenId: 0,
    });
    expect(c.layerTypes).toEqual([...Array(5).fill('sliding_attention'), 'full_attention']);
    expect(c.rope.full_attention).toEqual({ type: 'default', theta: 1e6, factor: 1 });
    expect(c.rope.sliding_attention).toEqual({ type: 'default', theta: 1e4, factor: 1 });
    expect(c.layerRope.map((r) => r.theta)).toEqual([1e4, 1e4, 1e4, 1e4, 1e4, 1e6]);
  });

  it('reads the older form and derives layer types from sliding_window_pattern', () => {
    const c = parseGemma3Config(GEMMA3_1B_JSON);
    const full = c.layerTypes.flatMap((t, i) => (t === 'full_attention' ? [i] : []));
    expect(full).toEqual([5, 11, 17, 23]);
    expect(c.layerRope[5]!.theta).toBe(1e6);
    expect(c.layerRope[0]!.theta).toBe(1e4);
    expect(c).toEqual(gemma3_1bConfig());
  });

  it('accepts _sliding_window_pattern when layer_types is absent', () => {
    const { layer_types: _drop, ...rest } = fixtureJson();
    const c = parseGemma3Config(rest);
    expect(c.layerTypes).toEqual([...Array(5).fill('sliding_attention'), 'full_attention']);
  });

  it('gemma3_1bConfig has the published dimensions', () => {
    const c = gemma3_1bConfig();
    expect(c).toMatchObject({
      hiddenSize: 1152, intermediateSize: 6912, numLayers: 26, numHeads: 4, numKvHeads: 1, headDim: 256,
      vocabSize: 262144, slidingWindow: 512, queryPreAttnScalar: 256, rmsNormEps: 1e-6,
    });
    expect(c.rope.full_attention.theta).toBe(1e6);
    expect(c.rope.sliding_attention.theta).toBe(1e4);
  });

  it('takes text_config from a multimodal gemma3 config, filling transformers defaults (gemma-3-4b)', () => {
    const c = parseGemma3Config({
      architectures: ['Gemma3ForConditionalGeneration'], model_type: 'gemma3', eos_token_id: [1, 106],
      text_config: {
        hidden_size: 2560, intermediate_size: 10240, model_type: 'gemma3_text', num_hidden_layers: 34,
        rope_scaling: { factor: 8.0, rope_type: 'linear' }, sliding_window: 1024,
      },
      vision_config: { model_type: 'siglip_vision_model' },
    });
    expect(c).toMatchObject({ hiddenSize: 2560, numLayers: 34, numHeads: 8, numKvHeads: 4, vocabSize: 262208, slidingWindow: 1024 });
    expect(c.eosTokenIds).toEqual([1, 106]);
    expect(c.rope.full_attention).toEqual({ type: 'linear', theta: 1e6, factor: 8 });
    expect(c.rope.sliding_attention).toEqual({ type: 'default', theta: 1e4, factor: 1 });
  });

  it('reads linear scaling in the rope_parameters form', () => {
    const j = fixtureJson();
    j['rope_parameters'] = {
      full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 },
      sliding_attention: { rope_type: 'default', rope_theta: 1e4 },
    };
    expect(parseGemma3Config(j).rope.full_attention).toEqual({ type: 'linear', theta: 1e6, factor: 8 });
  });

  it('reads softcapping values', () => {
    const c = parseGemma3Config({ ...fixtureJson(), final_logit_softcapping: 30, attn_logit_softcapping: 50 });
    expect(c.finalLogitSoftcapping).toBe(30);
    expect(c.attnLogitSoftcapping).toBe(50);
  });

  it.each([
    ['hidden_size', /missing field "hidden_size"/],
    ['num_key_value_heads', /missing field "num_key_value_heads"/],
    ['head_dim', /missing field "head_dim"/],
    ['model_type', /missing field "model_type"/],
    ['sliding_window', /missing field "sliding_window"/],
  ])('names the missing field %s', (name, err) => {
    const j = fixtureJson();
    delete j[name];
    expect(() => parseGemma3Config(j)).toThrow(err);
  });

  it('names invalid fields', () => {
    const j = fixtureJson();
    expect(() => parseGemma3Config({ ...j, hidden_size: -3 })).toThrow(/"hidden_size" must be a positive integer/);
    expect(() => parseGemma3Config({ ...j, num_key_value_heads: 3 })).toThrow(/multiple of num_key_value_heads/);
    expect(() => parseGemma3Config({ ...j, layer_types: ['sliding_attention'] })).toThrow(/"layer_types" has 1 entries/);
    expect(() => parseGemma3Config({ ...j, layer_types: [...(j['layer_types'] as string[]).slice(1), 'chunked'] })).toThrow(/layer_types\[5\]/);
    expect(() => parseGemma3Config({ ...j, model_type: 'llama' })).toThrow(/"model_type" must be/);
    expect(() => parseGemma3Config({ ...j, hidden_activation: 'silu' })).toThrow(/hidden_activation/);
    expect(() => parseGemma3Config({ ...j, rope_parameters: { full_attention: { rope_type: 'yarn', rope_theta: 1e6 }, sliding_attention: { rope_theta: 1e4 } } }))
      .toThrow(/rope_parameters.full_attention.rope_type" "yarn" is not supported/);
    expect(() => parseGemma3Config({ ...j, rope_parameters: { full_attention: { rope_type: 'linear', rope_theta: 1e6 }, sliding_attention: { rope_theta: 1e4 } } }))
      .toThrow(/factor/);
    expect(() => parseGemma3Config({ ...j, final_logit_softcapping: 'big' })).toThrow(/final_logit_softcapping/);
    expect(() => parseGemma3Config({ ...j, use_bidirectional_attention: true })).toThrow(/bidirectional/);
    const { rope_parameters: _r, ...noRope } = j;
    expect(() => parseGemma3Config(noRope)).toThrow(/missing field "rope_theta"/);
    expect(() => parseGemma3ConfigText('{nope')).toThrow(/not valid JSON/);
    expect(() => parseGemma3Config({ model_type: 'gemma3' })).toThrow(/text_config/);
  });
});

describe('helpers', () => {
  it('embedScale rounds sqrt(hidden) to the weight dtype', () => {
    expect(embedScale(64)).toBe(8);
    expect(embedScale(1152)).toBe(Math.fround(Math.sqrt(1152)));
    expect(embedScale(1152, 'bfloat16')).toBe(34);
    expect(embedScale(1152, 'float16')).toBe(33.9375);
  });

  it('isKeyVisible: sliding layers see the last slidingWindow positions including the query itself', () => {
    const c = parseGemma3Config(fixtureJson());
    expect(isKeyVisible(c, 0, 10, 3)).toBe(true);
    expect(isKeyVisible(c, 0, 10, 2)).toBe(false);
    expect(isKeyVisible(c, 0, 10, 11)).toBe(false);
    expect(isKeyVisible(c, 5, 10, 0)).toBe(true);
  });
});

describe('notGemma3Text (checked before any weights are downloaded)', () => {
  it('lets Gemma-3 text configs through, multimodal ones with a Gemma-3 text part too', () => {
    expect(notGemma3Text(GEMMA3_1B_JSON)).toBeNull();
    expect(notGemma3Text(fixtureJson())).toBeNull();
    expect(notGemma3Text({ model_type: 'gemma3', architectures: ['Gemma3ForConditionalGeneration'], text_config: { model_type: 'gemma3_text' } })).toBeNull();
  });

  it('names what another config describes', () => {
    expect(notGemma3Text({ model_type: 'llama', architectures: ['LlamaForCausalLM'] })).toBe('a llama model (LlamaForCausalLM)');
    expect(notGemma3Text({ model_type: 'gemma2' })).toBe('a gemma2 model');
    expect(notGemma3Text({ model_type: 'gemma3', architectures: ['Gemma3ForConditionalGeneration'], text_config: { model_type: 'siglip' } })).toBe('a gemma3 model whose text part is a "siglip" model (Gemma3ForConditionalGeneration)');
    expect(notGemma3Text({ model_type: 'gemma3' })).toBe('a gemma3 model whose text part is missing');
    expect(notGemma3Text({ architectures: ['BertModel'] })).toBe('a model without a model_type (BertModel)');
    expect(notGemma3Text([1])).toBe('not a model config (config.json is not a JSON object)');
  });
});
