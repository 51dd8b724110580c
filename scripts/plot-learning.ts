/**
 * Learning curves as PNG files, from the runs bench/learning.ts wrote: per mode, the mean reward of
 * each reward function by step and the held-out greedy execution accuracy by step, one line per
 * seed. Drawn with uPlot (the dashboard's plotting library) in headless Chromium and screenshotted.
 *
 *   npx tsx scripts/plot-learning.ts [--in docs/learning] [--out docs/learning]
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

interface Run {
  mode: string;
  seed: number;
  metrics: ({ step: number } & Record<string, number>)[];
  curve: { step: number; execution_accuracy: number }[];
}

interface Chart {
  file: string;
  title: string;
  yLabel: string;
  series: { label: string; x: number[]; y: number[] }[];
}

const flag = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return path.resolve(i >= 0 ? process.argv[i + 1]! : fallback);
};

/** Centred moving average over `k` steps, so per-step reward noise does not hide the trend. */
function smooth(ys: number[], k = 9): number[] {
  return ys.map((_, i) => {
    const lo = Math.max(0, i - (k >> 1));
    const part = ys.slice(lo, Math.min(ys.length, i + (k >> 1) + 1)).filter(Number.isFinite);
    return part.reduce((a, b) => a + b, 0) / Math.max(1, part.length);
  });
}

async function main(): Promise<void> {
  const dir = flag('in', 'docs/learning');
  const out = flag('out', dir);
  await mkdir(out, { recursive: true });
  const runs: Run[] = [];
  for (const f of (await readdir(dir)).filter((x) => /^(lora|hints|both)-seed\d+\.json$/.test(x)).sort()) runs.push(JSON.parse(await readFile(path.join(dir, f), 'utf8')) as Run);
  if (runs.length === 0) throw new Error(`no runs in ${dir}: run bench/learning.ts first`);
  const charts: Chart[] = [];
  for (const mode of [...new Set(runs.map((r) => r.mode))]) {
    const rs = runs.filter((r) => r.mode === mode).sort((a, b) => a.seed - b.seed);
    const rewardKeys = [...new Set(rs.flatMap((r) => Object.keys(r.metrics[0] ?? {})))].filter((k) => /^rewards\/.+\/mean$/.test(k)).sort();
    charts.push({
      file: `${mode}-reward.png`,
      title: `${mode}: total reward by step (moving average of 9 steps), per seed`,
      yLabel: 'reward',
      series: rs.map((r) => ({ label: `seed ${r.seed}`, x: r.metrics.map((m) => m.step), y: smooth(r.metrics.map((m) => m.reward)) })),
    });
    charts.push({
      file: `${mode}-rewards-by-function.png`,
      title: `${mode}: mean of each reward function by step (seed ${rs[0]!.seed}, moving average of 9 steps)`,
      yLabel: 'score',
      series: rewardKeys.map((k) => ({ label: k.replace(/^rewards\/|\/mean$/g, ''), x: rs[0]!.metrics.map((m) => m.step), y: smooth(rs[0]!.metrics.map((m) => m[k])) })),
    });
    charts.push({
      file: `${mode}-eval-accuracy.png`,
      title: `${mode}: held-out execution accuracy (greedy) by step, per seed`,
      yLabel: 'accuracy',
      series: rs.map((r) => ({ label: `seed ${r.seed}`, x: r.curve.map((e) => e.step), y: r.curve.map((e) => e.execution_accuracy) })),
    });
  }

  const require = createRequire(import.meta.url);
  const uplotJs = await readFile(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = await readFile(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox', '--disable-background-networking'] });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 420 }, deviceScaleFactor: 1 });
    for (const chart of charts) {
      const colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
      const xs = [...new Set(chart.series.flatMap((s) => s.x))].sort((a, b) => a - b);
      const data = [xs, ...chart.series.map((s) => xs.map((x) => (s.x.includes(x) ? s.y[s.x.indexOf(x)]! : null)))];
      const html = `<!doctype html><html><head><style>${uplotCss} body{margin:0;font:13px system-ui,sans-serif;background:#fff} h1{font-size:14px;margin:8px 12px}</style></head>
<body><h1>${chart.title}</h1><div id="c"></div><script>${uplotJs}</script><script>
new uPlot({ width: 880, height: 360, scales: { x: { time: false } }, axes: [{ label: 'step' }, { label: ${JSON.stringify(chart.yLabel)} }],
  series: [{}, ...${JSON.stringify(chart.series.map((s, i) => ({ label: s.label, stroke: colors[i % colors.length], width: 2, spanGaps: true })))}] }, ${JSON.stringify(data)}, document.getElementById('c'));
</script></body></html>`;
      await page.setContent(html);
      await writeFile(path.join(out, chart.file), await page.screenshot({ fullPage: true }));
      console.log(`wrote ${path.relative(process.cwd(), path.join(out, chart.file))}`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
