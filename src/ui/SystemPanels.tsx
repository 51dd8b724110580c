/**
 * The machine the engine runs on: the WebGPU adapter and the smoke test.
 */
import { GpuPanel } from './GpuPanel';
import { SmokeTestPanel } from './SmokeTestPanel';

export function SystemPanels() {
  return (
    <div className="panel-row">
      <GpuPanel />
      <SmokeTestPanel />
    </div>
  );
}
