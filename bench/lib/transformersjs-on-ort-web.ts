/**
 * Makes transformers.js run on our onnxruntime-web (the wasm backend, the same module instance as
 * our engine) instead of onnxruntime-node: it takes an onnxruntime from `Symbol.for('onnxruntime')`
 * when it is first imported, so this module must be imported before anything that imports
 * @huggingface/transformers (our tokenizer does). In Node transformers.js hands the model over as a
 * file path, which onnxruntime-web would fetch(): it is read here instead.
 */
import { readFile } from 'node:fs/promises';
import { ort } from '../../src/runtime/ort';

(globalThis as Record<symbol, unknown>)[Symbol.for('onnxruntime')] = {
  ...ort,
  InferenceSession: {
    create: async (model: string | Uint8Array, options: ort.InferenceSession.SessionOptions) =>
      ort.InferenceSession.create(typeof model === 'string' ? new Uint8Array(await readFile(model)) : model, options),
  },
};
