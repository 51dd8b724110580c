/**
 * The trained LoRA adapter out (PEFT's two files) and back in, and the checkpoints saved this run.
 */
import { useState } from 'react';
import { Panel } from '../Panel';
import { useAppStore } from '../store-context';
import { isActive } from '../training-state';

export function AdapterPanel() {
  const exportAdapter = useAppStore((s) => s.exportAdapter);
  const checkpoints = useAppStore((s) => s.run.checkpoints);
  const [exporting, setExporting] = useState(false);

  const onExport = async () => {
    setExporting(true);
    await exportAdapter();
    setExporting(false);
  };

  return (
    <Panel title="Adapter" subtitle="PEFT files: load with PeftModel.from_pretrained" testId="adapter-panel">
      <div className="actions">
        <button type="button" onClick={() => void onExport()} disabled={exporting} data-testid="export-adapter">
          {exporting ? 'Exporting…' : 'Download adapter'}
        </button>
      </div>
      <p className="field__help">
        Saves <code>adapter_model.safetensors</code> and <code>adapter_config.json</code>; put both in one folder.
      </p>
      <MergedModel />
      <TransformersJsExport />
      <ImportAdapter />
      {checkpoints.length > 0 && (
        <>
          <h3>Checkpoints this run</h3>
          <ul className="checkpoints" data-testid="checkpoints">
            {checkpoints.map((c) => (
              <li key={c.id}>
                Step {c.step} <span className="muted">({c.id})</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </Panel>
  );
}

/** The adapter merged into the base weights: a model folder that loads without PEFT. */
function MergedModel() {
  const exportMergedModel = useAppStore((s) => s.exportMergedModel);
  const progress = useAppStore((s) => s.mergeProgress);
  const locked = useAppStore((s) => isActive(s.run.phase));
  return (
    <div className="merged-model">
      <div className="actions">
        <button type="button" className="secondary" onClick={() => void exportMergedModel()} disabled={progress !== null || locked} data-testid="export-merged">
          {progress ? 'Merging…' : 'Download merged model'}
        </button>
      </div>
      {progress && <ByteProgress progress={progress} label="Merging the adapter into the model" testId="merge-progress" />}
      <p className="field__help">
        The adapter merged into the base weights (as PEFT's <code>merge_and_unload()</code>), in the base's dtype, with its config and
        tokenizer files: load the folder with <code>AutoModelForCausalLM.from_pretrained</code>. Needs browser storage for the weights
        while they are written; stop a run first.
      </p>
    </div>
  );
}

/** The merged model as ONNX with a KV cache, for transformers.js (in a page or in Node). */
function TransformersJsExport() {
  const exportOnnxModel = useAppStore((s) => s.exportOnnxModel);
  const progress = useAppStore((s) => s.onnxProgress);
  const locked = useAppStore((s) => isActive(s.run.phase));
  const [dtype, setDtype] = useState<'fp32' | 'fp16'>('fp32');
  return (
    <div className="merged-model">
      <div className="actions">
        <label className="field field--inline">
          <span>Weights</span>
          <select value={dtype} onChange={(e) => setDtype(e.target.value as 'fp32' | 'fp16')} disabled={progress !== null || locked} data-testid="export-onnx-dtype">
            <option value="fp32">fp32</option>
            <option value="fp16">fp16 (half the size)</option>
          </select>
        </label>
        <button type="button" className="secondary" onClick={() => void exportOnnxModel(dtype)} disabled={progress !== null || locked} data-testid="export-onnx">
          {progress ? 'Exporting…' : 'Download for transformers.js'}
        </button>
      </div>
      {progress && <ByteProgress progress={progress} label="Exporting for transformers.js" testId="onnx-progress" />}
      <p className="field__help">
        The merged model as an ONNX decoder with KV cache (<code>onnx/model.onnx</code>, or <code>model_fp16.onnx</code>), with its config
        and tokenizer files: load the folder with <code>AutoModelForCausalLM.from_pretrained</code> in transformers.js. Needs browser storage
        for the weights while they are written; stop a run first.
      </p>
    </div>
  );
}

function ImportAdapter() {
  const importAdapter = useAppStore((s) => s.importAdapter);
  const locked = useAppStore((s) => isActive(s.run.phase));
  const [config, setConfig] = useState<File | null>(null);
  const [weights, setWeights] = useState<File | null>(null);
  const [loading, setLoading] = useState(false);

  const onLoad = async () => {
    if (!config || !weights) return;
    setLoading(true);
    await importAdapter({ configJson: await config.text(), safetensors: new Uint8Array(await weights.arrayBuffer()) });
    setLoading(false);
  };

  return (
    <fieldset className="plain import-adapter" disabled={locked}>
      <legend className="group-title">Load an adapter</legend>
      <label className="field">
        <span className="field__label">adapter_config.json</span>
        <input type="file" accept=".json,application/json" onChange={(e) => setConfig(e.target.files?.[0] ?? null)} data-testid="import-adapter-config" />
      </label>
      <label className="field">
        <span className="field__label">adapter_model.safetensors</span>
        <input type="file" accept=".safetensors" onChange={(e) => setWeights(e.target.files?.[0] ?? null)} data-testid="import-adapter-weights" />
      </label>
      <button type="button" className="secondary" onClick={() => void onLoad()} disabled={!config || !weights || loading} data-testid="import-adapter">
        {loading ? 'Loading…' : 'Load adapter'}
      </button>
      <p className="field__help">PEFT or Unsloth adapters for Gemma-3-1B; training continues from it.</p>
    </fieldset>
  );
}

/** Bytes written so far of an export, once its size is known. */
function ByteProgress({ progress, label, testId }: { progress: { done: number; total: number }; label: string; testId: string }) {
  if (progress.total <= 0) return null;
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  return (
    <div className="progress-list__label" data-testid={testId}>
      <progress aria-label={label} max={progress.total} value={progress.done} />
      <span className="muted">
        {mib(progress.done)} / {mib(progress.total)} MiB
      </span>
    </div>
  );
}
