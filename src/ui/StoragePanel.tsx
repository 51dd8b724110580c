/**
 * Browser storage: what the app keeps in this browser (cached hub models and datasets, copies of
 * model folders, checkpoints, the last exports), each with its size and a delete button that asks
 * for confirmation first, the site's usage against its quota, and a refresh. The storage-full
 * message sends people here by this panel's title.
 */
import { useEffect } from 'react';
import { STORAGE_PANEL_TITLE } from '../model/storage-quota';
import type { StoredItem } from '../worker/dashboard-api';
import { Panel } from './Panel';
import { useAppStore } from './store-context';
import { deletionWarning, sizeText, storageSections, storedDetail, storedTitle, usageView } from './storage-view';

export function StoragePanel() {
  const storage = useAppStore((s) => s.storage);
  const refresh = useAppStore((s) => s.refreshStorage);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const inv = storage.inventory;
  const usage = inv ? usageView(inv) : null;
  const sections = inv ? storageSections(inv) : [];

  return (
    <Panel title={STORAGE_PANEL_TITLE} subtitle="What this app keeps in this browser, and deleting what you no longer need" wide testId="storage-panel">
      <div className="actions">
        <button type="button" className="secondary" onClick={() => void refresh()} disabled={storage.phase === 'loading' || storage.deleting !== null} data-testid="storage-refresh">
          Refresh
        </button>
        {usage && (
          <span data-testid="storage-usage">
            {usage.text} <span className="muted">· {usage.listed}</span>
          </span>
        )}
      </div>
      {usage && usage.fraction !== null && <progress className="storage-meter" max={1} value={usage.fraction} aria-label="Site storage used of the quota" />}
      {storage.phase === 'loading' && <p className="muted">Reading what is stored…</p>}
      {storage.phase === 'unsupported' && <p className="muted">This engine does not list its storage.</p>}
      {storage.error && (
        <p className="error" role="alert" data-testid="storage-error">
          {storage.phase === 'failed' ? 'Could not read the browser storage: ' : ''}
          {storage.error}
        </p>
      )}
      {inv && inv.problems.length > 0 && (
        <ul className="error" data-testid="storage-problems">
          {inv.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {inv && sections.length === 0 && (
        <p className="muted" data-testid="storage-empty">
          Nothing stored yet: downloads, folder copies, checkpoints and exports show here.
        </p>
      )}
      {sections.map((section) => (
        <section key={section.key} className="storage-section" aria-labelledby={`storage-${section.key}`}>
          <h3 id={`storage-${section.key}`}>
            {section.title} <span className="muted">({sizeText(section.items.reduce((a, i) => a + i.bytes, 0))})</span>
          </h3>
          <ul className="storage-list">
            {section.items.map((item) => (
              <StoredRow key={item.id} item={item} />
            ))}
          </ul>
        </section>
      ))}
      {inv && inv.other.length > 0 && (
        <p className="muted" data-testid="storage-other">
          Also in this site's storage, not the app's (left alone): {inv.other.map((o) => `${o.name} (${sizeText(o.bytes)})`).join(', ')}.
        </p>
      )}
    </Panel>
  );
}

function StoredRow({ item }: { item: StoredItem }) {
  const confirming = useAppStore((s) => s.storage.confirming === item.id);
  const deleting = useAppStore((s) => s.storage.deleting === item.id);
  const busy = useAppStore((s) => s.storage.deleting !== null);
  const confirm = useAppStore((s) => s.confirmStorageDelete);
  const remove = useAppStore((s) => s.deleteStored);
  const title = storedTitle(item);
  const detailId = `stored-detail-${item.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  return (
    <li className="storage-item" data-testid={`stored-${item.id}`}>
      <div className="storage-item__main">
        <strong>{title}</strong> <span data-testid="stored-size">{sizeText(item.bytes)}</span>
        <div className="muted" id={detailId}>
          {storedDetail(item)}
        </div>
        {item.blockedBy && <div className="muted">Kept while in use: {item.blockedBy}.</div>}
      </div>
      {!confirming && (
        <button type="button" className="secondary danger small" onClick={() => confirm(item.id)} disabled={item.blockedBy !== null || busy} aria-label={`Delete ${title}`} aria-describedby={detailId} data-testid="stored-delete">
          Delete
        </button>
      )}
      {confirming && (
        <div className="storage-item__confirm" role="group" aria-label={`Confirm deleting ${title}`}>
          <p>{deletionWarning(item)}</p>
          <div className="actions">
            <button type="button" className="danger small" onClick={() => void remove(item.ref)} disabled={busy} data-testid="stored-confirm-delete">
              {deleting ? 'Deleting…' : 'Delete'}
            </button>
            <button type="button" className="secondary small" onClick={() => confirm(null)} disabled={busy} autoFocus data-testid="stored-cancel">
              Cancel
            </button>
          </div>
        </div>
      )}
    </li>
  );
}
