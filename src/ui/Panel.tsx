/**
 * A titled card: the building block of the workspace grid. `wide` spans the full row.
 */
import type { ReactNode } from 'react';

interface PanelProps {
  title: string;
  /** One line under the title saying what the panel is for. */
  subtitle?: string;
  wide?: boolean;
  testId?: string;
  children: ReactNode;
}

export function Panel({ title, subtitle, wide = false, testId, children }: PanelProps) {
  const headingId = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <section className={wide ? 'panel panel--wide' : 'panel'} aria-labelledby={headingId} data-testid={testId}>
      <header className="panel__header">
        <h2 id={headingId}>{title}</h2>
        {subtitle && <p className="panel__subtitle">{subtitle}</p>}
      </header>
      <div className="panel__body">{children}</div>
    </section>
  );
}
