/**
 * The app shell on SwiftShader WebGPU: detection, the ORT smoke session in the worker, a screenshot.
 * The tests share one page, in order.
 */
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Must match SMOKE_TOLERANCE in src/worker/api.ts. */
const SMOKE_TOLERANCE = 1e-4;

export const tests = [
  {
    name: 'page loads and shows the SwiftShader adapter in the GPU panel',
    timeoutMs: 60_000,
    async run({ page, baseUrl }) {
      await page.goto(baseUrl);
      assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'page is not cross-origin isolated (COOP/COEP headers missing)');
      // The GPU and smoke-test panels live in the results' System tab.
      await page.getByTestId('tab-system').click();
      const panel = page.getByTestId('gpu-panel');
      await panel.getByTestId('gpu-available').or(panel.getByTestId('gpu-unavailable')).or(panel.getByRole('alert')).waitFor();
      const unavailable = await panel.getByTestId('gpu-unavailable').or(panel.getByRole('alert')).count();
      assert.equal(unavailable, 0, `GPU panel reports no WebGPU: ${await panel.innerText()}`);

      const name = await panel.getByTestId('gpu-adapter-name').innerText();
      const architecture = await panel.getByTestId('gpu-architecture').innerText();
      assert.match(`${name} ${architecture}`, /swiftshader/i, `adapter is "${name}" (${architecture}), expected SwiftShader`);
      // SwiftShader's limits, as measured (shared/gpu/README.md): maxBufferSize 1 GiB, no shader-f16.
      const limits = await panel.getByTestId('gpu-limits').innerText();
      assert.match(limits, /Max buffer size\s+1 GiB/, `limits table: ${limits}`);
      assert.match(await panel.getByTestId('gpu-features').innerText(), /shader-f16 ✗/);
      assert.match(await page.getByTestId('gpu-badge').innerText(), /WebGPU · swiftshader \(software\)/i);
    },
  },
  {
    name: 'smoke test runs onnxruntime-web on WebGPU in the worker with a small error',
    // The first onnxruntime-web session compiles its pipelines: 3-5 s here on 2 cores, but the
    // team has seen ~45 s for first sessions on SwiftShader, so leave room.
    timeoutMs: 180_000,
    async run({ page, log }) {
      await page.getByTestId('smoke-run').click();
      const panel = page.getByTestId('smoke-panel');
      await panel.getByTestId('smoke-result').or(panel.getByTestId('smoke-error')).waitFor({ timeout: 175_000 });
      if (await panel.getByTestId('smoke-error').count()) assert.fail(await panel.getByTestId('smoke-error').innerText());

      assert.equal(await panel.getByTestId('smoke-backend').innerText(), 'webgpu');
      const maxError = Number(await panel.getByTestId('smoke-max-error').innerText());
      assert.ok(Number.isFinite(maxError) && maxError <= SMOKE_TOLERANCE, `max |error| ${maxError} > ${SMOKE_TOLERANCE}`);
      assert.match(await panel.getByTestId('smoke-result').innerText(), /Passed/);
      log(`max |error| ${maxError}, ${await panel.getByTestId('smoke-ms').innerText()}`);

      // It ran in the engine worker: the worker exists, and the UI thread never fetched ORT's wasm.
      assert.ok(page.workers().some((w) => /engine\.worker/.test(w.url())), 'no engine worker in the page');
      const mainThreadWasm = await page.evaluate(() =>
        performance.getEntriesByType('resource').map((e) => e.name).filter((url) => url.endsWith('.wasm')),
      );
      assert.deepEqual(mainThreadWasm, [], 'the UI thread loaded wasm itself');
    },
  },
  {
    name: 'screenshot of the page (docs/screenshots/skeleton.png)',
    timeoutMs: 30_000,
    async run({ page, repoRoot }) {
      // Nothing should stick out sideways at a laptop width.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
      const path = join(repoRoot, 'docs/screenshots/skeleton.png');
      await page.screenshot({ path, fullPage: true });
      assert.ok((await stat(path)).size > 10_000, 'screenshot is suspiciously small');
    },
  },
];
