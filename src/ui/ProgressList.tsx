/**
 * The engine's progress events for one area of the page, as labelled progress bars.
 */
import { progressArea, progressFraction, progressText, type ProgressArea } from './progress-areas';
import { progressKey } from './training-state';
import { useAppStore } from './store-context';

/** `unfinishedOnly` leaves out bars that are full (where room is short: the run bar). */
export function ProgressList({ area, unfinishedOnly = false }: { area: ProgressArea; unfinishedOnly?: boolean }) {
  const progress = useAppStore((s) => s.run.progress);
  const mine = progress.filter((p) => progressArea(p) === area && !(unfinishedOnly && progressFraction(p) === 1));
  if (mine.length === 0) return null;
  return (
    <ul className="progress-list" data-testid={`progress-${area}`}>
      {mine.map((p) => {
        const fraction = progressFraction(p);
        return (
          <li key={progressKey(p)}>
            <div className="progress-list__label">
              <span>{p.label}</span>
              <span className="muted">{progressText(p)}</span>
            </div>
            <progress aria-label={p.label} max={1} value={fraction ?? undefined} />
          </li>
        );
      })}
    </ul>
  );
}
