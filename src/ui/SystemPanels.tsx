/**
 * The machine the engine runs on: the WebGPU adapter, the smoke test, and what the app keeps in
 * this browser's storage.
 */
import { GpuPanel } from './GpuPanel';
import { SmokeTestPanel } from './SmokeTestPanel';
import { StoragePanel } from './StoragePanel';

export function SystemPanels() {
  return (
    <div className="panel-row">
      <GpuPanel />
      <SmokeTestPanel />
      <StoragePanel />
    </div>
  );
}
