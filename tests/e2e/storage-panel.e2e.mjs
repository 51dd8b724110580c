/**
 * The Browser storage panel in Chromium: a hub model downloaded through the dashboard's own flow
 * (Train, against the loopback test hub as the Hub endpoint) is listed with its size; while the run
 * uses it, it cannot be deleted; once stopped, Delete asks for confirmation (answered by keyboard),
 * the model leaves the list and the model panel's cache status is back to "Not cached yet".
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { assertAccessible } from './helpers/page-checks.mjs';
import { runPhase } from './helpers/run-control.mjs';

/** Downloads and the tiny model on wasm need no GPU. */
export const webgpu = false;

const REPO = 'webgrpo/tiny-gemma3-test';

async function waitFor(what, fn, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const tests = [
  {
    name: 'a downloaded model is listed with its size, kept while a run uses it, deleted after confirmation; the cache status says "Not cached yet" again',
    timeoutMs: 120_000,
    async run({ page, baseUrl, repoRoot, log }) {
      const modelDir = join(repoRoot, 'public/models/tiny-gemma3');
      assert.ok(existsSync(join(modelDir, 'model.safetensors')), 'the tiny model is missing: run npx tsx scripts/make-tiny-model.ts');
      const { TestHub, filesFromDir } = await tsImport('../support/test-hub.ts', import.meta.url);
      const hub = await new TestHub().start();
      try {
        const files = filesFromDir(modelDir, { skip: (p) => p === 'manifest.json' });
        hub.commit(REPO, files);
        // The run's dataset hangs on the hub until the test is done looking at the run in progress.
        hub.commit('webgrpo/e2e-data', { 'data.jsonl': new TextEncoder().encode('{"question":"q","context":"CREATE TABLE t (a INT)","answer":"SELECT a FROM t"}\n') }, { type: 'dataset' });
        hub.stallAfter('data.jsonl', 5);
        await page.goto(baseUrl);
        await page.getByTestId('model-hub').check();
        await page.getByTestId('model-endpoint').fill(hub.hubUrl);
        await page.getByTestId('model-repo').fill(REPO);
        await page.getByTestId('model-repo').blur();
        await page.getByTestId('model-cache').getByText(/Not cached yet/).waitFor({ timeout: 20_000 });
        await page.getByTestId('dataset-hub').check();
        await page.getByTestId('dataset-id').fill('webgrpo/e2e-data/data.jsonl');

        // The dashboard's own flow downloads the model into OPFS.
        await page.getByTestId('train').click();
        await waitFor('the dataset to be asked for', async () => hub.requestsFor('data.jsonl').length > 0, 60_000);
        // Every file the app fetched, as the hub served it: the bytes the panel must show.
        const fetched = [...new Set(hub.requests.filter((r) => r.method === 'GET' && r.status >= 200 && r.status < 300 && r.path !== null && r.range !== 'bytes=0-0' && r.path in files).map((r) => r.path))];
        const expected = fetched.reduce((a, p) => a + files[p].byteLength, 0);
        log(`downloaded ${fetched.length} files (${fetched.join(', ')}), ${expected} bytes`);

        await page.getByTestId('tab-system').click();
        const item = page.getByTestId(`stored-hub-model:${REPO}`);
        await item.waitFor({ timeout: 20_000 });
        const mib = `${(expected / 2 ** 20).toFixed(0)} MiB`;
        assert.equal(await item.getByTestId('stored-size').innerText(), mib);
        assert.match(await item.innerText(), new RegExp(`${fetched.length} files, complete · main → [0-9a-f]{8}`));
        assert.equal(await runPhase(page), 'loading');
        assert.equal(await item.getByTestId('stored-delete').isDisabled(), true, 'the model of the run in progress could be deleted');
        assert.match(await item.innerText(), /Kept while in use: the run in progress uses this model/);
        // The dataset fails for good: the run ends.
        hub.failNext({ path: 'data.jsonl', status: 404, times: 20 });
        hub.releaseStalled();
        await waitFor('the run to end', async () => ['stopped', 'finished', 'failed'].includes(await runPhase(page)), 60_000);
        // The setup opens again: the cache status, asked now, says the model is cached.
        if (!(await page.getByTestId('setup-panels').isVisible())) await page.getByTestId('setup-toggle').click();
        await page.getByTestId('model-repo').focus();
        await page.getByTestId('model-repo').blur();
        await page.getByTestId('model-cache').getByText(/Cached in this browser/).waitFor({ timeout: 20_000 });
        await page.getByTestId('storage-refresh').click();
        await waitFor('the delete button to be enabled', async () => !(await item.getByTestId('stored-delete').isDisabled()));
        assert.match(await page.getByTestId('storage-usage').innerText(), /of .* used \(/);
        log(await assertAccessible(page, 'the System tab with the Browser storage panel'));

        // Delete, then confirm by keyboard: focus starts on Cancel, Shift+Tab reaches Delete.
        await item.getByTestId('stored-delete').click();
        assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'stored-cancel');
        assert.match(await item.getByRole('group').innerText(), new RegExp(`Delete ${REPO} \\(${mib}\\) from this browser\\?`));
        await page.keyboard.press('Shift+Tab');
        assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'stored-confirm-delete');
        await page.keyboard.press('Enter');
        await item.waitFor({ state: 'detached', timeout: 20_000 });
        assert.match(await page.getByTestId('notices').innerText(), new RegExp(`Deleted ${REPO} \\(${mib} freed\\)`));

        await page.getByTestId('model-cache').getByText(/Not cached yet/).waitFor({ timeout: 20_000 });
        log('deleted; the model panel says "Not cached yet" again');
      } finally {
        await hub.stop();
      }
    },
  },
];
