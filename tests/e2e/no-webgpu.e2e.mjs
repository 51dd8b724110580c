/**
 * The same app in a Chromium without WebGPU: the GPU panel says so and what still works, and the
 * smoke test falls back to the wasm (CPU) backend.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Chromium without the SwiftShader flags: navigator.gpu exists, but requestAdapter() finds nothing. */
export const webgpu = false;

export const tests = [
  {
    name: 'without WebGPU the GPU panel says so and lists what still works',
    timeoutMs: 60_000,
    async run({ page, baseUrl }) {
      await page.goto(baseUrl);
      const adapter = await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter()));
      assert.equal(adapter, false, 'this browser has a WebGPU adapter after all: the test proves nothing');
      await page.getByTestId('tab-system').click();
      const panel = page.getByTestId('gpu-panel');
      const unavailable = panel.getByTestId('gpu-unavailable');
      await unavailable.or(panel.getByTestId('gpu-available')).waitFor();
      assert.equal(await unavailable.count(), 1, `GPU panel: ${await panel.innerText()}`);
      const text = await unavailable.innerText();
      assert.match(text, /WebGPU is not available/);
      assert.match(text, /no usable GPU adapter/);
      assert.match(text, /dataset/i);
      assert.match(text, /reward/i);
      assert.match(text, /policy-hint mode/i);
      assert.match(text, /Training needs WebGPU/);
      assert.match(await page.getByTestId('gpu-badge').innerText(), /No WebGPU/);
    },
  },
  {
    name: 'the smoke test runs on the wasm backend instead',
    timeoutMs: 120_000,
    async run({ page }) {
      const panel = page.getByTestId('smoke-panel');
      assert.match(await panel.innerText(), /on the CPU \(wasm\)/);
      await panel.getByTestId('smoke-run').click();
      await panel.getByTestId('smoke-result').or(panel.getByTestId('smoke-error')).waitFor({ timeout: 115_000 });
      if (await panel.getByTestId('smoke-error').count()) assert.fail(await panel.getByTestId('smoke-error').innerText());
      assert.equal(await panel.getByTestId('smoke-backend').innerText(), 'wasm');
      assert.match(await panel.getByTestId('smoke-result').innerText(), /Passed/);
    },
  },
  {
    name: 'screenshot of the page (docs/screenshots/no-webgpu.png)',
    timeoutMs: 30_000,
    async run({ page, repoRoot }) {
      const path = join(repoRoot, 'docs/screenshots/no-webgpu.png');
      await page.screenshot({ path, fullPage: true });
      assert.ok((await stat(path)).size > 10_000, 'screenshot is suspiciously small');
    },
  },
];
