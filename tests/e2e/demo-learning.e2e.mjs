/**
 * Learning you can see, in headless Chromium: the dashboard as a new user finds it (the bundled
 * demo model and the synthetic corpus are the defaults), a short seeded GRPO run on the CPU
 * backend, and the reward rising. The metrics come from the dashboard's own JSONL export; the mean
 * reward of the last steps must exceed that of the first. The reward plot goes to
 * docs/screenshots/demo-learning.png (shown in the README).
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * 2 prompts × 8 completions per step at temperature 1 on a 12-question synthetic corpus (10 to train
 * on), 40 steps. At the preset's 4 prompts and temperature 0.7 the same run rises far less (mean
 * reward 5.04 -> 5.63): its samples stay near the greedy answer and on these few questions rarely
 * hold a right query; temperature 1 explores, so a short run shows the learning (4.77 -> 6.88).
 */
const SETTINGS = {
  per_device_train_batch_size: '16',
  temperature: '1',
  learning_rate: '0.003',
  lr_scheduler_type: 'constant',
  warmup_ratio: '0',
  max_steps: '40',
  save_steps: '0',
  eval_steps: '0',
  seed: '1',
};
const STEPS = 40;
const WINDOW = 10;
const RUN_TIMEOUT_MS = 12 * 60_000;

const setting = (page, name) => page.getByTestId(`setting-${name}`).locator('input, select').first();
const stepsLogged = async (page) => ((await page.getByTestId('current-step').count()) ? Number(await page.getByTestId('current-step').innerText()) : 0);

export const tests = [
  {
    name: 'the demo model trains on the synthetic corpus and its mean reward rises (wasm, seed 1, 40 steps)',
    timeoutMs: RUN_TIMEOUT_MS + 60_000,
    async run({ page, baseUrl, repoRoot, log }) {
      await page.goto(baseUrl);
      await page.getByTestId('settings-panel').waitFor();
      assert.equal(await page.getByTestId('model-demo').isChecked(), true, 'the demo model is the default');
      assert.equal(await page.getByTestId('dataset-synthetic').isChecked(), true, 'the synthetic corpus is the default');
      await page.getByTestId('synthetic-size').fill('12');
      await page.getByTestId('synthetic-seed').fill('3');
      await page.getByTestId('backend').selectOption('wasm');
      // Hints mode warns that the demo model cannot read hints; LoRA mode (the default) does not.
      assert.equal(await page.getByTestId('demo-hints-note').count(), 0);
      await page.getByTestId('mode-hints').check();
      assert.match(await page.getByTestId('demo-hints-note').innerText(), /cannot read hints/);
      await page.getByTestId('mode-lora').check();
      assert.equal(await page.getByTestId('demo-hints-note').count(), 0);
      for (const [name, value] of Object.entries(SETTINGS)) {
        const control = setting(page, name);
        if ((await control.evaluate((e) => e.tagName)) === 'SELECT') await control.selectOption(value);
        else await control.fill(value);
      }
      if (await page.getByTestId('warmup-enabled').isChecked()) await page.getByTestId('warmup-enabled').uncheck();
      assert.match(await page.getByTestId('settings-status').innerText(), /Each step: 2 prompts × 8 completions = 16; 40 steps/);

      const started = Date.now();
      await page.getByTestId('train').click();
      assert.equal(await page.getByTestId('start-problems').count(), 0, 'the setup was refused');
      const deadline = started + RUN_TIMEOUT_MS;
      let reported = 0;
      for (;;) {
        const errors = await page.getByTestId('run-error').allInnerTexts();
        if (errors.length) assert.fail(`training failed: ${errors.join(' | ')}`);
        const steps = await stepsLogged(page);
        if (steps >= STEPS && (await page.getByTestId('phase').first().getAttribute('data-phase')) === 'finished') break;
        if (steps >= reported + 5) {
          reported = steps;
          log(`${steps} steps after ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
        if (Date.now() > deadline) assert.fail(`timed out: ${steps} of ${STEPS} steps after ${RUN_TIMEOUT_MS / 60_000} min`);
        await page.waitForTimeout(1000);
      }
      log(`${STEPS} steps in ${((Date.now() - started) / 1000).toFixed(0)} s`);

      await page.getByTestId('tab-plots').click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-jsonl').click()]);
      const rows = (await readFile(await download.path(), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(rows.length, STEPS, `${rows.length} metrics rows exported`);
      const mean = (rs) => rs.reduce((a, r) => a + r.reward, 0) / rs.length;
      const first = mean(rows.slice(0, WINDOW));
      const last = mean(rows.slice(-WINDOW));
      log(`mean reward: first ${WINDOW} steps ${first.toFixed(3)}, last ${WINDOW} steps ${last.toFixed(3)}`);
      assert.ok(rows.some((r) => r.frac_reward_zero_std < 1), 'no group carried signal');
      assert.ok(last > first, `the mean reward did not rise: first ${WINDOW} steps ${first.toFixed(3)}, last ${last.toFixed(3)}`);

      await page.waitForTimeout(500); // the plots draw on the next frame
      const path = join(repoRoot, 'docs/screenshots/demo-learning.png');
      await page.getByTestId('chart-reward').first().screenshot({ path });
      assert.ok((await stat(path)).size > 5_000, 'the screenshot is suspiciously small');
    },
  },
];
