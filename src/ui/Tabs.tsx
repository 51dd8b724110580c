/**
 * Tabs in the WAI-ARIA pattern: one tab stop for the list (the selected tab), arrow keys, Home and
 * End move between tabs and show them. Every panel element exists (so each tab's aria-controls
 * points at something); only the selected one is rendered, so hidden tabs cost nothing per step.
 */
import { useRef, type KeyboardEvent, type ReactNode } from 'react';

export interface TabSpec {
  id: string;
  label: string;
}

interface TabsProps<T extends TabSpec> {
  /** What the tab list is, for screen readers. */
  label: string;
  tabs: readonly T[];
  selected: string;
  onSelect(id: string): void;
  render(tab: T): ReactNode;
}

const tabId = (id: string) => `tab-${id}`;
const panelId = (id: string) => `tabpanel-${id}`;

export function Tabs<T extends TabSpec>({ label, tabs, selected, onSelect, render }: TabsProps<T>) {
  const list = useRef<HTMLDivElement>(null);
  const current = tabs.find((t) => t.id === selected) ?? tabs[0]!;

  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>) => {
    const at = tabs.findIndex((t) => t.id === current.id);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const tab = tabs[(next + tabs.length) % tabs.length]!;
    onSelect(tab.id);
    list.current?.querySelector<HTMLButtonElement>(`#${tabId(tab.id)}`)?.focus();
  };

  return (
    <div className="tabs">
      <div className="tabs__list" role="tablist" aria-label={label} ref={list}>
        {tabs.map((t) => {
          const on = t.id === current.id;
          return (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={tabId(t.id)}
              className={on ? 'tabs__tab is-on' : 'tabs__tab'}
              aria-selected={on}
              aria-controls={panelId(t.id)}
              tabIndex={on ? 0 : -1}
              onClick={() => onSelect(t.id)}
              onKeyDown={onKeyDown}
              data-testid={tabId(t.id)}
            >
              {t.label}
            </button>
          );
        })}
      </div>
      {tabs.map((t) => (
        <div key={t.id} className="tabs__panel" role="tabpanel" id={panelId(t.id)} aria-labelledby={tabId(t.id)} hidden={t.id !== current.id} data-testid={panelId(t.id)}>
          {t.id === current.id && render(t)}
        </div>
      ))}
    </div>
  );
}
