/**
 * A titled card: the building block of the workspace grid. `wide` spans the full row, `double` two
 * columns (the full row on narrow screens).
 */
import type { ReactNode } from 'react';

interface PanelProps {
  title: string;
  /** One line under the title saying what the panel is for. */
  subtitle?: string;
  wide?: boolean;
  double?: boolean;
  testId?: string;
  children: ReactNode;
}

export function Panel({ title, subtitle, wide = false, double = false, testId, children }: PanelProps) {
  const headingId = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const className = ['panel', wide && 'panel--wide', double && 'panel--double'].filter(Boolean).join(' ');
  return (
    <section className={className} aria-labelledby={headingId} data-testid={testId}>
      <header className="panel__header">
        <h2 id={headingId}>{title}</h2>
        {subtitle && <p className="panel__subtitle">{subtitle}</p>}
      </header>
      <div className="panel__body">{children}</div>
    </section>
  );
}
