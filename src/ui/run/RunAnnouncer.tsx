/**
 * Live regions that are on the page from the start (so screen readers follow them): the run's
 * state, politely, and its errors (or why Train was refused), at once.
 */
import { runAnnouncement, runErrorAnnouncement } from '../run-announcement';
import { useAppStore } from '../store-context';

export function RunAnnouncer() {
  const status = useAppStore((s) => runAnnouncement(s.run, s.runMaxSteps));
  const error = useAppStore((s) => runErrorAnnouncement(s.run, s.startProblems));
  return (
    <>
      <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="run-status-live">
        {status}
      </div>
      <div className="sr-only" role="alert" aria-atomic="true" data-testid="run-error-live">
        {error}
      </div>
    </>
  );
}
