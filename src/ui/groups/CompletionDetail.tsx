/**
 * Everything about one completion: its full text, the SQL found in it, its result next to the gold
 * result, and what each reward said.
 */
import type { CompletionRecord, GroupRecord } from '../../worker/training-api';
import { ResultTable } from './ResultTable';

function detailText(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(4);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : detailText(v))).join(', ');
  return JSON.stringify(value);
}

export function CompletionDetail({ group, completion, onClose }: { group: GroupRecord; completion: CompletionRecord; onClose: () => void }) {
  const headingId = `completion-${group.step}-${group.promptIndex}-${completion.index}`;
  return (
    <section className="completion-detail" aria-labelledby={headingId} data-testid="completion-detail">
      <header className="completion-detail__header">
        <h4 id={headingId}>
          Completion #{completion.index + 1} · total {completion.total.toFixed(3)} · advantage {completion.advantage.toFixed(3)}
        </h4>
        <button type="button" className="secondary small" onClick={onClose}>
          Close
        </button>
      </header>
      <p className="muted">
        {completion.length} tokens, {completion.terminated ? 'ended by a stop token' : 'cut at max_completion_length'}
      </p>

      <h5>Full text</h5>
      <pre className="code-block" data-testid="completion-text">{completion.text || '(empty)'}</pre>

      <div className="sql-pair">
        <div>
          <h5>Extracted SQL</h5>
          <pre className="code-block">{completion.sql ?? '(no SQL found)'}</pre>
        </div>
        <div>
          <h5>Gold SQL</h5>
          <pre className="code-block">{group.goldSql}</pre>
        </div>
      </div>

      <div className="sql-pair">
        <ResultTable result={completion.execution} caption="Its result" />
        <ResultTable result={group.goldExecution} caption="Gold result" />
      </div>

      <h5>Rewards</h5>
      <dl className="reward-details">
        {Object.entries(completion.rewards).map(([name, score]) => (
          <div key={name} className="reward-details__item">
            <dt>
              <code>{name}</code> <strong>{score.toFixed(3)}</strong>
            </dt>
            <dd>
              {Object.entries((completion.details[name] ?? {}) as Record<string, unknown>).map(([k, v]) => (
                <span key={k} className="kv">
                  {k}: {detailText(v)}
                </span>
              ))}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
