import { open, readFile, stat } from 'node:fs/promises';

/** What the Linux collectors need to know about one file. */
export interface FileFacts {
  mtimeMs: number;
  /** Size in bytes, where the reader knows it. */
  size?: number;
}

/**
 * Read access to the local file system, injected so that the collectors can be tested on
 * recorded files. Every method answers null instead of throwing when the file is missing or
 * unreadable: an unreadable file is a fact to report, not a crash.
 */
export interface FileReader {
  /** The whole file as UTF-8 text (invalid bytes become U+FFFD), or null. */
  readText(path: string, maxBytes?: number): Promise<string | null>;
  /** The first `length` bytes of the file, or null. */
  readHead(path: string, length: number): Promise<Buffer | null>;
  /** Modification time of the file, or null when it does not exist. */
  stat(path: string): Promise<FileFacts | null>;
}

const DEFAULT_MAX_TEXT_BYTES = 16 * 1024 * 1024;

/** The real file system, read as the logged-in user. */
export const nodeFileReader: FileReader = {
  async readText(path, maxBytes = DEFAULT_MAX_TEXT_BYTES) {
    try {
      const facts = await stat(path);
      if (!facts.isFile() || facts.size > maxBytes) return null;
      return (await readFile(path)).toString('utf8');
    } catch {
      return null;
    }
  },
  async readHead(path, length) {
    let handle;
    try {
      handle = await open(path, 'r');
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, 0);
      return buffer.subarray(0, bytesRead);
    } catch {
      return null;
    } finally {
      await handle?.close().catch(() => undefined);
    }
  },
  async stat(path) {
    try {
      const facts = await stat(path);
      return { mtimeMs: facts.mtimeMs, size: facts.size };
    } catch {
      return null;
    }
  },
};
