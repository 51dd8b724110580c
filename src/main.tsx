/**
 * Entry point: start the engine worker, create the store around it, render, detect WebGPU and look
 * for a saved checkpoint to offer.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { saveFile } from './ui/downloads';
import { createAppStore } from './ui/store';
import { AppStoreProvider } from './ui/store-context';
import { startEngine } from './worker/engine-client';
import './ui/app.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

/** localStorage, or none where reading it throws (storage blocked for this site). */
function localStorageIfAllowed(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

const store = createAppStore(startEngine(), { download: saveFile, storage: localStorageIfAllowed() });
createRoot(root).render(
  <StrictMode>
    <AppStoreProvider store={store}>
      <App />
    </AppStoreProvider>
  </StrictMode>,
);
void store.getState().detectGpu();
void store.getState().checkForCheckpoints();
void store.getState().checkModelCache();
