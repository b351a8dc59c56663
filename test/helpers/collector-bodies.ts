import { once } from 'node:events';
import { createGzip } from 'node:zlib';

// Request bodies that attack the collector's HTTP layer, built without holding their expanded
// size in the test's own memory (so that memory measured during a test is the server's).

/**
 * A gzip bomb: `{"events":[` + `expandedBytes` of spaces + `]}` compressed at level 9 (about
 * 1/1000 of its expanded size). After decompression it is valid JSON, so only a decompressed-size
 * limit stops it.
 */
export async function gzipBomb(expandedBytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(gzip, 'end');
  gzip.write('{"events":[');
  const block = Buffer.alloc(1024 * 1024, 0x20);
  for (let written = 0; written < expandedBytes; written += block.length) {
    const part = expandedBytes - written < block.length ? block.subarray(0, expandedBytes - written) : block;
    if (!gzip.write(part)) await once(gzip, 'drain');
  }
  gzip.end(']}');
  await ended;
  return Buffer.concat(chunks);
}

/** `json` followed by spaces up to exactly `bytes` bytes: still the same JSON value. */
export function paddedJson(value: unknown, bytes: number): Buffer {
  const text = Buffer.from(JSON.stringify(value), 'utf8');
  if (text.length > bytes) throw new Error(`the value alone is ${text.length} bytes, more than ${bytes}`);
  return Buffer.concat([text, Buffer.alloc(bytes - text.length, 0x20)]);
}

/** Samples this process's resident memory every few milliseconds while `work` runs; returns the peak growth. */
export async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growthBytes: number; elapsedMs: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 2);
  const began = performance.now();
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growthBytes: peak - start, elapsedMs: performance.now() - began };
  } finally {
    clearInterval(timer);
  }
}
