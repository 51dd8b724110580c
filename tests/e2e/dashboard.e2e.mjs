/**
 * The dashboard in headless Chromium on SwiftShader WebGPU: the settings form (TRL names, defaults,
 * inline errors), then a real tiny training run through the engine worker: 2 prompts × 4
 * completions of 16 tokens for 3 steps on the bundled tiny model and the shipped sample. While it
 * runs: the setup folds to a line, and the run bar, reward and loss plots and the latest groups fit
 * a 1440×900 and a 1280×720 screen; at 800 px the panels stack without overflow. Then plots, group
 * tables, keyboard reach and axe-core on every results tab, adapter export, the Playground (a row of
 * the run answered by base and adapter side by side), and the resume offer after a reload. Screenshots go to docs/screenshots/dashboard-*.png. The tests share one page, in order.
 *
 * The training tests need the engine's TrainerApi (startTraining in src/worker/engine.worker.ts);
 * without it they fail and say so.
 */
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { assertAccessible, assertInViewport, assertKeyboardReachesEverything, assertNoHorizontalOverflow } from './helpers/page-checks.mjs';

/** DEFAULT_CONFIG from the source, so this test follows the defaults instead of copying them. */
async function loadDefaultConfig(repoRoot) {
  const out = await build({ entryPoints: [join(repoRoot, 'src/grpo/config.ts')], bundle: true, write: false, format: 'esm', platform: 'node', logLevel: 'silent' });
  const mod = await import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
  return mod.DEFAULT_CONFIG;
}

/** The fields the settings panel must show, under TRL's names. */

/**
 * The Playground fills in after its tab opens (the engine's status, then the run's checkpoints for
 * the adapter picker), re-rendering its controls; a keyboard walk must start after that.
 */
async function playgroundSettled(page) {
  await page.getByTestId('playground-generate').waitFor();
  const options = () => page.getByTestId('playground-adapter-source').locator('option').count();
  let before = -1;
  for (let now = await options(); now !== before; now = await options()) {
    before = now;
    await page.waitForTimeout(500);
  }
}

const TRL_FIELDS = [
  'learning_rate', 'num_generations', 'max_prompt_length', 'max_completion_length', 'max_steps', 'beta', 'epsilon', 'loss_type',
  'scale_rewards', 'temperature', 'top_p', 'gradient_accumulation_steps', 'max_grad_norm', 'warmup_ratio', 'lr_scheduler_type',
  'weight_decay', 'seed', 'lora_r', 'lora_alpha', 'save_steps', 'eval_steps',
];

/** 2 prompts × 4 generations (8 completions per step), 16 tokens, 3 steps; a checkpoint at step 3. */
const TINY_SETTINGS = {
  num_generations: '4',
  per_device_train_batch_size: '8',
  gradient_accumulation_steps: '1',
  max_completion_length: '16',
  max_steps: '3',
  save_steps: '3',
  eval_steps: '0',
};
const STEPS = 3;
const TRAINING_TIMEOUT_MS = 9 * 60_000;
/** Where everything a run needs watching must fit without scrolling (a laptop, a small laptop). */
const SCREENS = [
  { width: 1440, height: 900 },
  { width: 1280, height: 720 },
];
const NARROW = { width: 800, height: 900 };
/** run.mjs's viewport, put back after the checks at other sizes. */
const DEFAULT_VIEWPORT = { width: 1280, height: 800 };
const ACTIVE_PHASES = ['loading', 'evaluating', 'generating', 'scoring', 'training', 'paused'];

const setting = (page, name) => page.getByTestId(`setting-${name}`).locator('input, select').first();

/** A full-page screenshot, or of one element, or of a clip of the page, or of the viewport. */
async function shoot(page, repoRoot, name, { locator, clip, viewport = false } = {}) {
  const path = join(repoRoot, 'docs/screenshots', name);
  if (locator) await locator.screenshot({ path });
  else await page.screenshot({ path, fullPage: !clip && !viewport, ...(clip ? { clip } : {}) });
  assert.ok((await stat(path)).size > 10_000, `${name} is suspiciously small`);
}

/** Fails with the engine's own words when the run failed, and names what is missing when startTraining is. */
async function failIfRunFailed(page) {
  const errors = await page.getByTestId('run-error').allInnerTexts();
  if (errors.length === 0) return;
  if (errors.some((e) => /does not implement startTraining/.test(e))) {
    trainerMissing = true;
    assert.fail('The engine worker does not implement startTraining yet: this test waits for the TrainerApi in src/worker/engine.worker.ts (the trainer commits).');
  }
  assert.fail(`training failed: ${errors.join(' | ')}`);
}

/** Waits until `ready()` is true, checking for a failed run between tries. */
async function waitForRun(page, what, ready, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await failIfRunFailed(page);
    if (await ready()) return;
    if (Date.now() > deadline) {
      const phase = await page.getByTestId('phase').first().getAttribute('data-phase');
      assert.fail(`timed out waiting for ${what} (phase ${phase}, ${await stepsLogged(page)} steps logged)`);
    }
    await page.waitForTimeout(500);
  }
}

/** Set when the run could not start because the engine lacks startTraining: the later tests depend on the run. */
let trainerMissing = false;
let trainStarted = 0;
function requireTrainedRun() {
  if (trainerMissing) assert.fail('needs the training run of the test above, which the engine cannot do yet (no startTraining in the worker)');
}

/** The run bar's step: the last step with metrics. */
const stepsLogged = async (page) => ((await page.getByTestId('current-step').count()) ? Number(await page.getByTestId('current-step').innerText()) : 0);
const phaseOf = (page) => page.getByTestId('phase').first().getAttribute('data-phase');
const showTab = (page, id) => page.getByTestId(`tab-${id}`).click();

export const tests = [
  {
    name: 'settings panel shows the TRL fields with DEFAULT_CONFIG values',
    timeoutMs: 60_000,
    async run({ page, baseUrl, repoRoot }) {
      await page.goto(baseUrl);
      await page.getByTestId('settings-panel').waitFor();
      // The page opens on the demo model and its preset; the Gemma-3-1B choice brings GRPOConfig's defaults.
      assert.equal(await page.getByTestId('model-demo').isChecked(), true, 'the demo model is the default');
      assert.equal(await setting(page, 'max_completion_length').inputValue(), '96', "the demo model's preset");
      await page.getByTestId('model-hub').check();
      const defaults = await loadDefaultConfig(repoRoot);
      for (const name of TRL_FIELDS) {
        const field = page.getByTestId(`setting-${name}`);
        assert.equal(await field.locator('label').innerText(), name, `the label of ${name}`);
        const shown = await setting(page, name).inputValue();
        const expected = defaults[name];
        if (typeof expected === 'number') assert.equal(Number(shown), expected, `${name} shows ${shown}, DEFAULT_CONFIG has ${expected}`);
        else assert.equal(shown, expected, `${name}`);
      }
      const modules = page.getByTestId('setting-lora_target_modules');
      for (const m of defaults.lora_target_modules) assert.equal(await modules.getByLabel(m).isChecked(), true, `lora_target_modules: ${m} checked`);
      assert.match(await page.getByTestId('settings-status').innerText(), /Each step: 1 prompt × 4 completions/);
      // The setup panels, the run bar and the results tabs are there too.
      for (const id of ['model-panel', 'dataset-panel', 'rewards-panel', 'run-panel', 'live-panel', 'tab-plots', 'tab-groups', 'tab-evaluation', 'tab-hints', 'tab-playground', 'tab-export', 'tab-system']) {
        assert.equal(await page.getByTestId(id).count(), 1, `${id} missing`);
      }
      await assertNoHorizontalOverflow(page, 'before a run, 1280 px');
    },
  },
  {
    name: 'before a run: every control is reached by Tab, axe-core finds nothing serious, 800 px does not overflow',
    timeoutMs: 60_000,
    async run({ page, log }) {
      assert.equal(await page.getByTestId('setup-panels').isVisible(), true, 'the setup is folded before any run');
      const stops = await assertKeyboardReachesEverything(page, 'before a run');
      const minor = await assertAccessible(page, 'before a run');
      log(`${stops} tab stops; axe: ${minor.length ? minor.join(', ') : 'no violations'}`);
      await page.setViewportSize(NARROW);
      try {
        await assertNoHorizontalOverflow(page, 'before a run, 800 px');
      } finally {
        await page.setViewportSize(DEFAULT_VIEWPORT);
      }
    },
  },
  {
    name: 'invalid settings show inline errors and block Train; a folded setup opens to show them',
    timeoutMs: 30_000,
    async run({ page }) {
      await setting(page, 'top_p').fill('1.5');
      const topP = page.getByTestId('setting-top_p');
      assert.equal(await topP.getByRole('alert').innerText(), 'top_p must be in (0, 1], got 1.5');
      assert.equal(await setting(page, 'top_p').getAttribute('aria-invalid'), 'true');

      await setting(page, 'learning_rate').fill('fast');
      assert.equal(await page.getByTestId('setting-learning_rate').getByRole('alert').innerText(), "learning_rate must be a number, got 'fast'");
      assert.match(await page.getByTestId('settings-status').innerText(), /2 settings need fixing/);

      // A cross-field rule shows under every field it names.
      await setting(page, 'num_generations').fill('3');
      for (const name of ['num_generations', 'per_device_train_batch_size', 'gradient_accumulation_steps']) {
        assert.match(await page.getByTestId(`setting-${name}`).getByRole('alert').innerText(), /must be divisible by num_generations \(3\)/, name);
      }

      // Folded, the setup line still says something needs fixing; a refused Train opens it at the fields.
      const toggle = page.getByTestId('setup-toggle');
      await toggle.click();
      await page.getByTestId('setup-panels').waitFor({ state: 'hidden' });
      assert.match(await page.getByTestId('setup-problems').innerText(), /\d+ to fix/);
      await page.getByTestId('train').click();
      const problems = await page.getByTestId('start-problems').innerText();
      assert.match(problems, /Training cannot start/);
      assert.match(problems, /Settings: top_p must be in \(0, 1\], got 1.5/);
      assert.equal(await phaseOf(page), 'idle');
      assert.equal(await page.getByTestId('setup-panels').isVisible(), true, 'a refused Train left the setup folded');
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      assert.equal(await topP.getByRole('alert').isVisible(), true, "top_p's error is not visible beside the field");
      // Screen readers hear why, from the live region that was on the page all along.
      assert.match(await page.getByTestId('run-error-live').innerText(), /^Training cannot start: .*top_p must be in \(0, 1\]/);

      await page.getByTestId('settings-reset').click();
      assert.equal(await page.getByTestId('settings-panel').getByRole('alert').count(), 0, 'errors remain after resetting to defaults');
      assert.equal(await page.getByTestId('start-problems').count(), 0);
      assert.equal(await page.getByTestId('run-error-live').innerText(), '');
    },
  },
  {
    name: 'Train folds the setup into one locked summary line (needs the engine trainer)',
    timeoutMs: 60_000,
    async run({ page }) {
      await page.getByTestId('model-tiny').check();
      await page.getByTestId('dataset-sample').check();
      for (const [name, value] of Object.entries(TINY_SETTINGS)) await setting(page, name).fill(value);
      assert.match(await page.getByTestId('settings-status').innerText(), /Each step: 2 prompts × 4 completions = 8; 3 steps/);
      assert.equal(await page.getByTestId('backend').inputValue(), 'webgpu');

      // The memory plan before Train: the engine plans from the model's config; a budget too small is refused with the reason.
      await page.getByTestId('gpu-memory-budget').fill('0.000001');
      await page.getByTestId('memory-plan-check').click();
      assert.match(await page.getByTestId('memory-plan-refusal').innerText(), /GPU memory budget 0\.00 GiB is too small: even one completion per pass/);
      await page.getByTestId('gpu-memory-budget').fill('');
      await page.getByTestId('memory-plan-check').click();
      assert.match(await page.getByTestId('memory-plan-summary').innerText(), /^per_device_train_batch_size 8 × gradient_accumulation_steps 1, loss head in chunks of 512 rows: [\d.]+ MiB of the 6\.00 GiB budget$/);
      assert.ok((await page.getByTestId('memory-plan-terms').locator('tr').count()) > 10, 'the plan lists its terms');

      trainStarted = Date.now();
      await page.getByTestId('train').click();
      assert.equal(await page.getByTestId('start-problems').count(), 0, 'the setup was refused');
      await failIfRunFailed(page);

      const panels = page.getByTestId('setup-panels');
      const toggle = page.getByTestId('setup-toggle');
      await panels.waitFor({ state: 'hidden', timeout: 5_000 });
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      const summary = page.getByTestId('setup-summary');
      const box = await summary.boundingBox();
      assert.ok(box && box.height < 60, `the setup summary is ${box?.height}px tall`);
      assert.match(await summary.innerText(), /Model\s+tiny \(bundled\)[\s\S]*Dataset\s+sample \(bundled\)[\s\S]*Batch\s+2 prompts × 4, 3 steps/i);
      assert.equal(await page.getByTestId('setup-locked').innerText(), 'Locked');
      assert.match(await page.getByTestId('run-status-live').innerText(), /^Training/);

      // Expandable while running, and locked: every field is disabled.
      await toggle.click();
      await panels.waitFor();
      assert.match(await panels.innerText(), /cannot change while a run is under way/);
      for (const control of [setting(page, 'max_steps'), page.getByTestId('model-hub'), page.getByTestId('dataset-upload'), page.getByTestId('mode-hints'), page.getByTestId('backend')]) {
        assert.equal(await control.isDisabled(), true, `${await control.evaluate((e) => e.outerHTML.slice(0, 80))} is editable while running`);
      }
      await toggle.click();
      await panels.waitFor({ state: 'hidden' });
      assert.ok(ACTIVE_PHASES.includes(await phaseOf(page)), `the run is not under way: ${await phaseOf(page)}`);
    },
  },
  {
    name: 'while training, the run bar, reward and loss plots and the latest groups fit 1440×900 and 1280×720; at 800 px they stack',
    timeoutMs: TRAINING_TIMEOUT_MS,
    async run({ page, log }) {
      requireTrainedRun();
      await waitForRun(page, 'the first step', async () => (await stepsLogged(page)) >= 1, TRAINING_TIMEOUT_MS - 60_000);
      log(`first step after ${((Date.now() - trainStarted) / 1000).toFixed(0)} s`);
      const live = page.getByTestId('live-panel');
      await live.getByTestId('group').first().waitFor({ timeout: 60_000 });
      const inView = {
        'Train': page.getByTestId('train'),
        'Pause': page.getByTestId('pause'),
        'Stop': page.getByTestId('stop'),
        'the phase': page.getByTestId('phase'),
        'the step progress': page.locator('.step-progress'),
        'the reward plot': live.getByTestId('chart-reward'),
        'the loss plot': live.getByTestId('chart-loss'),
        "the latest step's first group table": live.getByTestId('group').first(),
        'the results tabs': page.getByRole('tablist', { name: 'Results' }),
      };
      try {
        for (const screen of SCREENS) {
          await page.setViewportSize(screen);
          await page.evaluate(() => window.scrollTo(0, 0));
          await page.waitForTimeout(300); // plots follow their container's width on the next frame
          const phase = await phaseOf(page);
          assert.ok(ACTIVE_PHASES.includes(phase), `the run is no longer under way (${phase}): the check would prove nothing`);
          await assertInViewport(page, `${screen.width}×${screen.height} at step ${await stepsLogged(page)} (${phase})`, inView);
          await assertNoHorizontalOverflow(page, `${screen.width}×${screen.height}`);
        }
        await page.setViewportSize(NARROW);
        await page.waitForTimeout(300);
        await assertNoHorizontalOverflow(page, 'while training, 800 px');
        const plots = await live.getByTestId('live-plots').boundingBox();
        const groups = await live.getByTestId('live-groups').boundingBox();
        assert.ok(groups.y >= plots.y + plots.height, 'at 800 px the latest groups are not below the plots');
        // Other results are one click away.
        for (const id of ['plots', 'groups', 'evaluation', 'hints', 'export', 'system']) {
          await showTab(page, id);
          await page.getByTestId(`tabpanel-${id}`).waitFor();
          await assertNoHorizontalOverflow(page, `the ${id} tab at 800 px`);
        }
        await showTab(page, 'live');
      } finally {
        await page.setViewportSize(DEFAULT_VIEWPORT);
      }
      const minor = await assertAccessible(page, 'while training');
      log(`axe while training: ${minor.length ? minor.join(', ') : 'no violations'}`);
      assert.match(await page.getByTestId('run-status-live').innerText(), /^Training: step \d of 3 (done|under way)\.$|^Evaluating/);
    },
  },
  {
    name: 'trains the tiny model on the sample: 3 steps plotted, groups filled (needs the engine trainer)',
    timeoutMs: TRAINING_TIMEOUT_MS + 60_000,
    async run({ page, repoRoot, log }) {
      requireTrainedRun();
      // Mid-training: two steps plotted (a line, not a dot) while the third is under way.
      await waitForRun(page, 'the second step', async () => (await stepsLogged(page)) >= 2, TRAINING_TIMEOUT_MS);
      await page.waitForTimeout(500); // the plots append on the next frame
      for (const screen of [...SCREENS, NARROW]) {
        await page.setViewportSize(screen);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.waitForTimeout(300);
        const name = screen === SCREENS[0] ? 'dashboard-training.png' : `dashboard-training-${screen.width}x${screen.height}.png`;
        await shoot(page, repoRoot, name, { viewport: screen !== NARROW });
      }
      await page.setViewportSize(DEFAULT_VIEWPORT);

      await waitForRun(page, `${STEPS} steps`, async () => (await stepsLogged(page)) >= STEPS, TRAINING_TIMEOUT_MS);
      log(`${STEPS} steps after ${((Date.now() - trainStarted) / 1000).toFixed(0)} s`);

      // Plotted: the reward legend shows the latest step while the cursor is off the plot, and each plot has a canvas.
      await showTab(page, 'plots');
      await page.waitForTimeout(500); // one animation frame for the append
      const rewardChart = page.getByTestId('chart-reward');
      assert.equal(await rewardChart.locator('canvas').count(), 1, 'reward plot has no canvas');
      // (The legend's colons are CSS content, absent from innerText: "step3total (weighted)…".)
      const legend = await rewardChart.locator('.u-legend').innerText();
      assert.match(legend, new RegExp(`^step\\s*${STEPS}(?!\\d)`), `reward plot does not reach step ${STEPS}: legend ${JSON.stringify(legend)}`);
      for (const id of ['loss', 'grad_norm', 'completion_length', 'learning_rate', 'reward_std']) {
        assert.equal(await page.getByTestId(`chart-${id}`).locator('canvas').count(), 1, `${id} plot missing`);
      }
      assert.match(await page.getByTestId('metrics-steps').innerText(), new RegExp(`^${STEPS} steps logged`));

      // The group table of the latest step: 2 prompts × 4 completions, every reward and the advantage.
      await showTab(page, 'groups');
      const groups = page.getByTestId('groups-panel').getByTestId('group');
      await groups.first().waitFor();
      assert.equal(await groups.count(), 2, 'expected 2 prompts in the latest step');
      for (let i = 0; i < 2; i++) assert.equal(await groups.nth(i).getByTestId('completion-row').count(), 4, `prompt ${i + 1} has not 4 completions`);
      const header = await groups.first().locator('thead').innerText();
      assert.match(header, /total/);
      assert.match(header, /advantage/);

      // A completion's detail: its full text, SQL, results and rewards.
      await groups.first().getByTestId('completion-row').first().click();
      const detail = page.getByTestId('completion-detail');
      await detail.waitFor();
      assert.match(await detail.innerText(), /Full text[\s\S]*Extracted SQL[\s\S]*Gold SQL[\s\S]*Rewards/i);
      await shoot(page, repoRoot, 'dashboard-groups.png', { locator: page.getByTestId('groups-panel') });

      await waitForRun(page, 'the run to finish', async () => (await phaseOf(page)) === 'finished', 120_000);
      assert.match(await page.getByTestId('run-status-live').innerText(), new RegExp(`^Training finished after step ${STEPS} of ${STEPS}\\.$`));

      // The engine's dataset report (usable rows of the sample and the split), in the setup: open it.
      await page.getByTestId('setup-toggle').click();
      const report = await page.getByTestId('dataset-report').innerText();
      assert.ok(Number(await page.getByTestId('dataset-usable').innerText()) > 0, `no usable rows: ${report}`);
      assert.match(report, /rows in sample/);
      assert.match(report, /Split: \d+ for training, \d+ held out/);
      await page.getByTestId('setup-toggle').click();
      await showTab(page, 'live');
      await shoot(page, repoRoot, 'dashboard-finished.png');
    },
  },
  {
    name: 'after the run: keyboard reaches every control of every tab and works tabs, setup, completions and plot legends; axe-core on each tab',
    timeoutMs: 180_000,
    async run({ page, log }) {
      requireTrainedRun();
      const tabs = ['live', 'plots', 'groups', 'evaluation', 'hints', 'playground', 'export', 'system'];
      const report = [];
      for (const id of tabs) {
        await showTab(page, id);
        await page.getByTestId(`tabpanel-${id}`).waitFor();
        if (id === 'playground') await playgroundSettled(page);
        const stops = await assertKeyboardReachesEverything(page, `the ${id} tab`);
        const minor = await assertAccessible(page, `the ${id} tab`);
        report.push(`${id}: ${stops} stops${minor.length ? `, axe ${minor.join(', ')}` : ''}`);
      }
      log(report.join('; '));

      // Tabs: arrow keys, Home and End move between them and show them (one Tab stop for the list).
      await page.getByTestId('tab-live').click();
      await page.keyboard.press('ArrowRight');
      assert.equal(await page.getByTestId('tab-plots').getAttribute('aria-selected'), 'true');
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'tab-plots');
      await page.getByTestId('tabpanel-plots').getByTestId('metrics-panel').waitFor();
      await page.keyboard.press('End');
      assert.equal(await page.getByTestId('tab-system').getAttribute('aria-selected'), 'true');
      await page.getByTestId('tabpanel-system').getByTestId('gpu-panel').waitFor();
      // The run's GPU memory against its budget (the default, 6 GiB).
      assert.match(await page.getByTestId('gpu-memory-text').innerText(), /^[\d.]+ (MiB|GiB) of the 6\.00 GiB budget; peak [\d.]+ (MiB|GiB)/);
      await page.keyboard.press('Home');
      assert.equal(await page.getByTestId('tab-live').getAttribute('aria-selected'), 'true');

      // The setup line: Enter opens, Space closes.
      const toggle = page.getByTestId('setup-toggle');
      await toggle.focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('setup-panels').waitFor();
      await page.keyboard.press(' ');
      await page.getByTestId('setup-panels').waitFor({ state: 'hidden' });

      // A completion's detail opens from its row's button.
      const live = page.getByTestId('live-panel');
      await live.getByRole('button', { name: 'Completion 1: show details' }).first().focus();
      await page.keyboard.press('Enter');
      await live.getByTestId('completion-detail').waitFor();

      // A plot's series toggles with Space and says so.
      const series = live.getByTestId('chart-reward').getByRole('button', { name: 'total (weighted)' });
      assert.equal(await series.getAttribute('aria-pressed'), 'true');
      await series.focus();
      await page.keyboard.press(' ');
      assert.equal(await series.getAttribute('aria-pressed'), 'false');
      await page.keyboard.press('Enter');
      assert.equal(await series.getAttribute('aria-pressed'), 'true');
    },
  },
  {
    name: 'exports the adapter as adapter_model.safetensors + adapter_config.json',
    timeoutMs: 120_000,
    async run({ page }) {
      requireTrainedRun();
      await showTab(page, 'export');
      const downloads = [];
      const collect = (d) => downloads.push(d);
      page.on('download', collect);
      try {
        await page.getByTestId('export-adapter').click();
        const deadline = Date.now() + 100_000;
        while (downloads.length < 2 && Date.now() < deadline) {
          const notice = await page.getByTestId('notices').innerText();
          if (/Exporting the adapter/.test(notice)) assert.fail(notice);
          await page.waitForTimeout(250);
        }
      } finally {
        page.off('download', collect);
      }
      assert.deepEqual(downloads.map((d) => d.suggestedFilename()).sort(), ['adapter_config.json', 'adapter_model.safetensors']);
      const byName = Object.fromEntries(downloads.map((d) => [d.suggestedFilename(), d]));
      const config = JSON.parse(await readFile(await byName['adapter_config.json'].path(), 'utf8'));
      assert.equal(config.r, 8, 'adapter_config.json r');
      assert.equal(config.peft_type, 'LORA');
      const weights = await readFile(await byName['adapter_model.safetensors'].path());
      // safetensors: an 8-byte little-endian header length, then a JSON header naming lora_A/lora_B tensors.
      const headerLength = Number(weights.readBigUInt64LE(0));
      const header = JSON.parse(weights.subarray(8, 8 + headerLength).toString('utf8'));
      assert.ok(Object.keys(header).some((k) => k.includes('lora_A')), 'no lora_A tensor in the safetensors header');
    },
  },
  {
    name: 'downloads the merged model: the base tiny model\'s files, its tensors in its dtype, the untouched tensors byte for byte',
    timeoutMs: 180_000,
    async run({ page, repoRoot }) {
      requireTrainedRun();
      await showTab(page, 'export');
      const downloads = [];
      const collect = (d) => downloads.push(d);
      page.on('download', collect);
      const expected = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
      try {
        await page.getByTestId('export-merged').click();
        const deadline = Date.now() + 170_000;
        while (downloads.length < expected.length && Date.now() < deadline) {
          const notice = await page.getByTestId('notices').innerText();
          if (/Merging the adapter into the model/.test(notice)) assert.fail(notice);
          await page.waitForTimeout(250);
        }
      } finally {
        page.off('download', collect);
      }
      assert.deepEqual(downloads.map((d) => d.suggestedFilename()).sort(), expected);
      const byName = Object.fromEntries(downloads.map((d) => [d.suggestedFilename(), d]));
      const baseDir = join(repoRoot, 'public/models/tiny-gemma3');
      assert.equal(await readFile(await byName['config.json'].path(), 'utf8'), await readFile(join(baseDir, 'config.json'), 'utf8'), 'config.json is the base\'s');
      const tensors = (bytes) => {
        const n = Number(bytes.readBigUInt64LE(0));
        const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
        delete header.__metadata__;
        return Object.fromEntries(Object.entries(header).map(([k, v]) => [k, { dtype: v.dtype, shape: v.shape, data: bytes.subarray(8 + n + v.data_offsets[0], 8 + n + v.data_offsets[1]) }]));
      };
      const merged = tensors(await readFile(await byName['model.safetensors'].path()));
      const base = tensors(await readFile(join(baseDir, 'model.safetensors')));
      assert.deepEqual(Object.keys(merged).sort(), Object.keys(base).sort());
      for (const [name, t] of Object.entries(base)) {
        assert.equal(merged[name].dtype, t.dtype, `${name} dtype`);
        assert.deepEqual(merged[name].shape, t.shape, `${name} shape`);
      }
      // Tensors no LoRA touches are copied byte for byte (the merge arithmetic itself is checked against PEFT in the unit tests).
      for (const name of Object.keys(base).filter((k) => !/_proj\.weight$/.test(k))) assert.ok(merged[name].data.equals(base[name].data), `${name} copied unchanged`);
    },
  },
  {
    name: 'the Playground: a question the run saw, answered by the base model and the trained adapter side by side',
    timeoutMs: 240_000,
    async run({ page, repoRoot, log }) {
      requireTrainedRun();
      await showTab(page, 'playground');
      const panel = page.getByTestId('playground-panel');
      await panel.getByTestId('playground-model').waitFor({ timeout: 30_000 });
      await panel.getByTestId('playground-row').selectOption({ index: 1 });
      assert.notEqual(await panel.getByTestId('playground-question').inputValue(), '', 'picking a row fills the question');
      assert.match(await panel.getByTestId('playground-schema').inputValue(), /CREATE TABLE/i);
      await panel.getByTestId('playground-max-tokens').fill('12');
      await panel.getByTestId('playground-generate').click();
      await panel.getByTestId('playground-outputs').waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid=playground-generate]')?.textContent === 'Generate', null, { timeout: 200_000 });
      assert.equal(await panel.getByTestId('playground-problems').count(), 0, 'no problems reported');
      for (const model of ['base', 'adapter']) {
        const column = panel.getByTestId(`playground-output-${model}`);
        assert.match(await column.innerText(), /\d+ tokens, (ended by a stop token|cut at max new tokens)/, `${model} column`);
      }
      log(`base: ${JSON.stringify((await panel.getByTestId('playground-text-base').innerText()).slice(0, 60))}; adapter: ${JSON.stringify((await panel.getByTestId('playground-text-adapter').innerText()).slice(0, 60))}`);
      await shoot(page, repoRoot, 'dashboard-playground.png', { locator: panel });
    },
  },
  {
    name: 'after a reload, offers to resume from the saved checkpoint',
    timeoutMs: 60_000,
    async run({ page, repoRoot }) {
      requireTrainedRun();
      await page.reload();
      const offer = page.getByTestId('resume-offer');
      await offer.waitFor({ timeout: 30_000 });
      assert.match(await offer.innerText(), new RegExp(`checkpoint from step ${STEPS}\\b`));
      assert.match(await page.getByTestId('resume-checkpoint').innerText(), new RegExp(`Resume from step ${STEPS}`));
      await shoot(page, repoRoot, 'dashboard-resume.png', { clip: { x: 0, y: 0, width: 1280, height: 420 } });
    },
  },
];
