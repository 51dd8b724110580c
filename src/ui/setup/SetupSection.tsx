/**
 * The four setup panels, or (once a run starts) one line that sums them up with a button to open
 * them again. Locked while a run is under way; a refused Train opens them so each problem shows
 * beside its field.
 */
import { useMemo } from 'react';
import { summarizeSetup } from '../setup-summary';
import { useAppStore } from '../store-context';
import { isActive } from '../training-state';
import { DatasetPanel } from './DatasetPanel';
import { ModelPanel } from './ModelPanel';
import { RewardsPanel } from './RewardsPanel';
import { SettingsPanel } from './SettingsPanel';

export function SetupSection() {
  const open = useAppStore((s) => s.setupOpen);
  const setOpen = useAppStore((s) => s.setSetupOpen);
  const setup = useAppStore((s) => s.setup);
  const locked = useAppStore((s) => isActive(s.run.phase));
  const summary = useMemo(() => summarizeSetup(setup), [setup]);
  const problems = summary.problems.length;

  return (
    <section className={open ? 'setup is-open' : 'setup'} aria-labelledby="setup-title" data-testid="setup" data-open={open}>
      <div className="setup__bar">
        <h2 id="setup-title" className="setup__title">
          Setup
        </h2>
        <ul className="setup__summary" data-testid="setup-summary">
          {summary.items.map((item) => (
            <li key={item.label}>
              <span className="setup__label">{item.label}</span> {item.value}
            </li>
          ))}
        </ul>
        {problems > 0 && (
          <span className="badge badge--bad" data-testid="setup-problems" title={summary.problems.join('\n')}>
            {problems} to fix
          </span>
        )}
        {locked && (
          <span className="badge badge--neutral" title="The setup cannot change while a run is under way" data-testid="setup-locked">
            Locked
          </span>
        )}
        <button type="button" className="secondary small" aria-expanded={open} aria-controls="setup-panels" onClick={() => setOpen(!open)} data-testid="setup-toggle">
          {open ? 'Hide setup' : locked ? 'Show setup' : 'Edit setup'}
        </button>
      </div>
      <div id="setup-panels" className="setup__panels" hidden={!open} data-testid="setup-panels">
        {locked && <p className="note setup__locked">The setup cannot change while a run is under way; stop the run to edit it.</p>}
        <ModelPanel />
        <DatasetPanel />
        <RewardsPanel />
        <SettingsPanel />
      </div>
    </section>
  );
}
