/**
 * Policy-layer GRPO (hints only) end to end in headless Chromium on SwiftShader WebGPU: import a
 * hint store, train the bundled tiny model on the shipped sample in Hints mode for 2 steps, and
 * check that the engine ran the hint layer: the table is updated at step 2, the pinned hint keeps
 * its weight, the unpinned one decayed, and LoRA did not train (no loss is logged).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';

/** A hint store file made by the project's own HintStore (so the format is never copied here). */
async function hintsFile(repoRoot) {
  const out = await build({ entryPoints: [join(repoRoot, 'src/hints/store.ts')], bundle: true, write: false, format: 'esm', platform: 'node', logLevel: 'silent' });
  const { HintStore } = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
  const store = new HintStore();
  store.addHint({ pattern: 'agg:COUNT', weight: 0.6, pinned: true });
  store.addHint({ pattern: 'select:*', weight: -0.5 });
  return store.exportJson();
}

const SETTINGS = {
  num_generations: '2',
  per_device_train_batch_size: '2',
  gradient_accumulation_steps: '1',
  max_completion_length: '8',
  max_steps: '2',
  eval_steps: '0',
};
const TIMEOUT_MS = 8 * 60_000;
const setting = (page, name) => page.getByTestId(`setting-${name}`).locator('input, select').first();

async function hintWeights(page) {
  const rows = page.getByTestId('hints-panel').getByTestId('hint-row');
  const out = {};
  for (let i = 0; i < (await rows.count()); i++) {
    const text = await rows.nth(i).innerText();
    const pattern = text.match(/(agg:COUNT|select:\*)/)?.[1];
    const weight = Number(text.match(/([+-]\d+\.\d{3})/)?.[1]);
    if (pattern) out[pattern] = weight;
  }
  return out;
}

export const tests = [
  {
    name: 'hints-only run on the tiny model: the hint layer updates, LoRA does not train',
    timeoutMs: TIMEOUT_MS + 60_000,
    async run({ page, baseUrl, repoRoot, log }) {
      await page.goto(baseUrl);
      await page.getByTestId('settings-panel').waitFor();
      await page.getByTestId('model-tiny').check();
      await page.getByTestId('dataset-sample').check();
      await page.getByTestId('mode-hints').check();
      for (const [name, value] of Object.entries(SETTINGS)) await setting(page, name).fill(value);

      await page.getByTestId('tab-hints').click();
      await page.getByTestId('import-hints').setInputFiles({ name: 'hints.json', mimeType: 'application/json', buffer: Buffer.from(await hintsFile(repoRoot)) });

      const started = Date.now();
      await page.getByTestId('train').click();
      assert.equal(await page.getByTestId('start-problems').count(), 0, 'the setup was refused');
      const deadline = Date.now() + TIMEOUT_MS;
      for (;;) {
        const errors = await page.getByTestId('run-error').allInnerTexts();
        if (errors.length) assert.fail(`training failed: ${errors.join(' | ')}`);
        const phase = await page.getByTestId('phase').first().getAttribute('data-phase');
        if (phase === 'finished') break;
        if (Date.now() > deadline) assert.fail(`timed out (phase ${phase})`);
        await page.waitForTimeout(1000);
      }
      log(`finished after ${((Date.now() - started) / 1000).toFixed(0)} s`);

      // Train shows the live tab; the hints and the plots are a click away.
      await page.getByTestId('tab-hints').click();
      const panel = await page.getByTestId('hints-panel').innerText();
      assert.match(panel, /hints? at step 2/, `the hints table was not updated by step 2: ${panel}`);
      const w = await hintWeights(page);
      assert.equal(w['agg:COUNT'], 0.6, `the pinned hint changed: ${JSON.stringify(w)}`);
      assert.ok(w['select:*'] < 0 && w['select:*'] > -0.5, `the unpinned avoid hint did not decay toward 0: ${JSON.stringify(w)}`);
      await page.getByTestId('tab-plots').click();
      assert.match(await page.getByTestId('metrics-steps').innerText(), /^2 steps/);
      // Hints mode takes no optimizer step: the loss plot has no value at the latest step.
      const legend = page.getByTestId('chart-loss').locator('.u-legend');
      if (await legend.count()) assert.doesNotMatch(await legend.innerText(), /loss\s*:?\s*-?\d/, 'a loss was logged in hints mode');
    },
  },
];
