/**
 * On load, if a checkpoint is saved in this browser, offer to continue from it.
 */
import { useAppStore } from '../store-context';

export function ResumeOffer() {
  const offer = useAppStore((s) => s.resumeOffer);
  const start = useAppStore((s) => s.startTraining);
  const dismiss = useAppStore((s) => s.dismissResumeOffer);
  if (!offer) return null;
  const saved = new Date(offer.createdAt);
  return (
    <section className="banner" aria-labelledby="resume-offer-title" data-testid="resume-offer">
      <div>
        <h2 id="resume-offer-title" className="banner__title">
          Resume training?
        </h2>
        <p>
          A checkpoint from step <strong>{offer.step}</strong> of <code>{offer.modelId}</code> is saved in this browser
          {Number.isNaN(saved.getTime()) ? '' : ` (${saved.toLocaleString()})`}. It continues with the settings below.
        </p>
      </div>
      <div className="banner__actions">
        <button type="button" onClick={() => void start(offer.id)} data-testid="resume-checkpoint">
          Resume from step {offer.step}
        </button>
        <button type="button" className="secondary" onClick={dismiss}>
          Dismiss
        </button>
      </div>
    </section>
  );
}
