/**
 * Node side of the transformers.js export: a model folder (+ an optional PEFT adapter) → a folder
 * transformers.js loads (`onnx/model.onnx` or `onnx/model_fp16.onnx` [+ `_data`], config.json,
 * generation_config.json, tokenizer files). Each file is written under a temporary name and renamed
 * when complete.
 */
import { existsSync } from 'node:fs';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileMergedWeightsSink, openModelFolder } from './merge-node';
import { exportConfigJson, ONNX_COPIED_FILES, OnnxExportError, planOnnxExport, writeOnnxModel, type OnnxDtype, type OnnxWriteProgress } from './onnx-export';
import type { LoraAdapter } from './peft';

export interface OnnxFolderOptions {
  modelDir: string;
  adapter?: LoraAdapter | null;
  outDir: string;
  dtype: OnnxDtype;
  /** Force (true) or forbid (false) external data; default: only past 2 GB. */
  external?: boolean;
  onProgress?: (p: OnnxWriteProgress) => void;
}

export async function exportOnnxFolder(o: OnnxFolderOptions): Promise<{ files: string[]; bytes: number }> {
  if (path.resolve(o.modelDir) === path.resolve(o.outDir)) throw new OnnxExportError("the output folder is the model's folder; choose another");
  const { config, weights } = await openModelFolder(o.modelDir);
  try {
    const plan = planOnnxExport(config, weights, { dtype: o.dtype, adapter: o.adapter, external: o.external });
    const written = await writeOnnxModel(config, plan, weights, (file) => fileMergedWeightsSink(path.join(o.outDir, file)), o.onProgress);
    const files = written.map((f) => f.name);
    let bytes = written.reduce((a, f) => a + f.data.size, 0);
    const configText = exportConfigJson(await readFile(path.join(o.modelDir, 'config.json'), 'utf8'), plan);
    await writeFile(path.join(o.outDir, 'config.json'), configText);
    files.push('config.json');
    bytes += Buffer.byteLength(configText);
    for (const f of ONNX_COPIED_FILES) {
      const from = path.join(o.modelDir, f);
      if (!existsSync(from)) continue;
      await copyFile(from, path.join(o.outDir, f));
      files.push(f);
      bytes += (await readFile(from)).byteLength;
    }
    return { files, bytes };
  } finally {
    await weights.close();
  }
}
