/**
 * The browser's place for a transformers.js export: one OPFS folder (the previous export's is
 * dropped first), checked against the origin's free storage for the whole export before a byte is
 * written, then each file checked again as it opens. A FileSystemWritableFileStream lands only on
 * close(), so a failure leaves no half file; finished files are disk-backed Files to download.
 */
import { storageShortfall, type MergedWeightsSink } from './merge';
import { opfsFileSink } from './merge-opfs';
import { OnnxExportError, type OpenSink } from './onnx-export';

/** The transformers.js export's folder at the top of the origin's OPFS. */
export const OPFS_ONNX_EXPORT_DIR = 'transformersjs-export';
const DIR = OPFS_ONNX_EXPORT_DIR;
const WHAT = 'the transformers.js export';
const INSTEAD = 'export on the command line with npm run export-onnx';

export async function opfsOnnxExportSinks(expectedBytes: number, storage: StorageManager = navigator.storage): Promise<OpenSink> {
  const root = await storage.getDirectory();
  await root.removeEntry(DIR, { recursive: true }).catch(() => undefined); // absent: nothing to drop
  const shortfall = storageShortfall(expectedBytes, await storage.estimate(), WHAT, INSTEAD);
  if (shortfall) throw new OnnxExportError(shortfall);
  const dir = await root.getDirectoryHandle(DIR, { create: true });
  return async (file: string, byteLength: number): Promise<MergedWeightsSink> => {
    const short = storageShortfall(byteLength, await storage.estimate(), WHAT, INSTEAD);
    if (short) throw new OnnxExportError(short);
    // One flat folder: OPFS names may not hold '/', and the download names come from the caller.
    const handle = await dir.getFileHandle(file.replaceAll('/', '__'), { create: true });
    return opfsFileSink(handle, () => dir.removeEntry(handle.name));
  };
}
