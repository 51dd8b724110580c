/**
 * Per-step group tables: each prompt's completions with every reward, the total and the advantage,
 * coloured red → green. Clicking a completion opens its detail. Follows the latest step until a
 * step is picked.
 */
import { useState } from 'react';
import type { GroupRecord } from '../../worker/training-api';
import { Panel } from '../Panel';
import { useAppStore } from '../store-context';
import { CompletionDetail } from './CompletionDetail';
import { advantageScaleOf, groupColours, rewardNamesOf, type GroupColours } from './group-colours';

type StepChoice = 'latest' | number;

export function GroupsPanel() {
  const groupSteps = useAppStore((s) => s.run.groupSteps);
  const [choice, setChoice] = useState<StepChoice>('latest');
  const shown = choice === 'latest' ? groupSteps[groupSteps.length - 1] : (groupSteps.find((g) => g.step === choice) ?? groupSteps[groupSteps.length - 1]);

  return (
    <Panel title="Reward groups" subtitle="Each prompt's completions, their rewards and advantages" wide testId="groups-panel">
      {groupSteps.length === 0 ? (
        <p className="muted">The groups of each step appear here once training starts.</p>
      ) : (
        <>
          <div className="actions">
            <label className="inline-field">
              Step{' '}
              <select value={String(choice)} onChange={(e) => setChoice(e.target.value === 'latest' ? 'latest' : Number(e.target.value))} data-testid="group-step">
                <option value="latest">Latest (step {groupSteps[groupSteps.length - 1]!.step})</option>
                {[...groupSteps].reverse().map((g) => (
                  <option key={g.step} value={g.step}>
                    Step {g.step}
                  </option>
                ))}
              </select>
            </label>
            <span className="muted">
              {shown!.groups.length} prompt{shown!.groups.length === 1 ? '' : 's'} · click a completion for its text, SQL and result
            </span>
          </div>
          <StepGroupsView key={shown!.step} groups={shown!.groups} />
        </>
      )}
    </Panel>
  );
}

export function StepGroupsView({ groups }: { groups: GroupRecord[] }) {
  const names = rewardNamesOf(groups);
  const scale = advantageScaleOf(groups);
  return (
    <div className="groups">
      {groups.map((g) => (
        <GroupTable key={g.promptIndex} group={g} rewardNames={names} colours={groupColours(g, scale)} />
      ))}
    </div>
  );
}

function GroupTable({ group, rewardNames, colours }: { group: GroupRecord; rewardNames: string[]; colours: GroupColours }) {
  const [open, setOpen] = useState<number | null>(null);
  const opened = group.completions.find((c) => c.index === open);
  return (
    <article className="group" data-testid="group">
      <header className="group__header">
        <p className="group__question">
          <span className="muted">Prompt {group.promptIndex + 1}:</span> {group.question}
        </p>
        <p className="muted">
          reward {group.rewardMean.toFixed(3)} ± {group.rewardStd.toFixed(3)}
        </p>
      </header>
      <details className="group__gold">
        <summary>Schema and gold SQL</summary>
        <pre className="code-block">{group.context}</pre>
        <pre className="code-block">{group.goldSql}</pre>
      </details>
      <div className="table-scroll">
        <table className="group-table">
          <thead>
            <tr>
              <th scope="col">#</th>
              {rewardNames.map((n) => (
                <th key={n} scope="col" title={n} className="num">
                  {n.replace(/_reward$/, '').replace(/_/g, ' ')}
                </th>
              ))}
              <th scope="col" className="num">
                total
              </th>
              <th scope="col" className="num">
                advantage
              </th>
              <th scope="col" className="num">
                tokens
              </th>
              <th scope="col">SQL</th>
            </tr>
          </thead>
          <tbody>
            {group.completions.map((c) => (
              <tr key={c.index} className={open === c.index ? 'is-open' : undefined} onClick={() => setOpen(open === c.index ? null : c.index)} data-testid="completion-row">
                <td>
                  <button type="button" className="link" aria-expanded={open === c.index} aria-label={`Completion ${c.index + 1}: show details`}>
                    {c.index + 1}
                  </button>
                </td>
                {rewardNames.map((n) => {
                  const v = c.rewards[n] ?? NaN;
                  return (
                    <td key={n} className="num score" style={{ background: colours.reward(n, v) }}>
                      {Number.isFinite(v) ? v.toFixed(2) : '—'}
                    </td>
                  );
                })}
                <td className="num score" style={{ background: colours.total(c.total) }}>
                  <strong>{c.total.toFixed(2)}</strong>
                </td>
                <td className="num score" style={{ background: colours.advantage(c.advantage) }}>
                  {c.advantage >= 0 ? '+' : ''}
                  {c.advantage.toFixed(2)}
                </td>
                <td className="num">
                  {c.length}
                  {!c.terminated && (
                    <span role="img" title="cut at max_completion_length" aria-label="cut at max_completion_length">
                      {' '}
                      ✂
                    </span>
                  )}
                </td>
                <td className="sql-cell">
                  <code>{c.sql ?? '—'}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {opened && <CompletionDetail group={group} completion={opened} onClose={() => setOpen(null)} />}
    </article>
  );
}
