/**
 * The results area: one tab per entry. Adding a view is adding an entry here.
 */
import type { ComponentType } from 'react';
import { GroupsPanel } from './groups/GroupsPanel';
import { MetricsPanel } from './plots/MetricsPanel';
import { AdapterPanel } from './results/AdapterPanel';
import { EvalPanel } from './results/EvalPanel';
import { HintsPanel } from './results/HintsPanel';
import { LivePanel } from './results/LivePanel';
import { PlaygroundPanel } from './results/PlaygroundPanel';
import { LIVE_TAB } from './store';
import { SystemPanels } from './SystemPanels';
import { WarmupPanel } from './results/WarmupPanel';
import type { TabSpec } from './Tabs';

export interface ResultTab extends TabSpec {
  Content: ComponentType;
}

export const RESULT_TABS: readonly ResultTab[] = [
  { id: LIVE_TAB, label: 'Live', Content: LivePanel },
  { id: 'plots', label: 'All plots', Content: MetricsPanel },
  { id: 'warmup', label: 'Warm-up', Content: WarmupPanel },
  { id: 'groups', label: 'Groups', Content: GroupsPanel },
  { id: 'evaluation', label: 'Evaluation', Content: EvalPanel },
  { id: 'hints', label: 'Hints', Content: HintsPanel },
  { id: 'playground', label: 'Playground', Content: PlaygroundPanel },
  { id: 'export', label: 'Export', Content: AdapterPanel },
  { id: 'system', label: 'System', Content: SystemPanels },
];
