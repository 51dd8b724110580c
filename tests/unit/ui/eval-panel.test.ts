/**
 * The evaluation panel shows, next to the accuracy, how many prompts of the evaluation had their
 * schema pruned and how many were refused (rendered to static markup with the real store).
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { EvalPanel } from '../../../src/ui/results/EvalPanel';
import { createAppStore } from '../../../src/ui/store';
import { AppStoreProvider } from '../../../src/ui/store-context';
import type { EngineApi } from '../../../src/worker/api';
import type { EvalRecord } from '../../../src/worker/training-api';

const shell: EngineApi = {
  gpuInfo: async () => ({ available: false, reason: 'test' }),
  runSmokeSession: async () => {
    throw new Error('not in this test');
  },
};

function render(evals: EvalRecord[]): string {
  const store = createAppStore(shell);
  store.setState((s) => ({ run: { ...s.run, evals } }));
  // Server rendering reads a store's initial state: serve the current one.
  const view = { ...store, getInitialState: store.getState };
  return renderToStaticMarkup(createElement(AppStoreProvider, { store: view, children: createElement(EvalPanel) }));
}

describe('EvalPanel', () => {
  it('shows the pruned and refused prompt counts of the latest evaluation next to its accuracy', () => {
    const html = render([
      { step: 0, execution_accuracy: 0.1, format_compliance: 0.2, examples: 16, prompts_pruned: 1, prompts_refused: 0 },
      { step: 5, execution_accuracy: 0.25, format_compliance: 0.5, examples: 14, prompts_pruned: 3, prompts_refused: 2 },
    ]);
    expect(html).toContain('25.0%');
    expect(html).toMatch(/Step 5, 14 examples; prompts: 3 with the schema pruned to fit, 2 refused/);
  });

  it('leaves the counts out for records that predate them (older checkpoints)', () => {
    const old = { step: 2, execution_accuracy: 0.5, format_compliance: 0.5, examples: 4 } as EvalRecord;
    const html = render([old]);
    expect(html).toMatch(/Step 2, 4 examples/);
    expect(html).not.toMatch(/pruned/);
  });
});
