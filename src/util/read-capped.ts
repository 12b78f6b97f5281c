/**
 * Reads a body up to `max` bytes; a larger one is a failure (null), not a partial answer.
 * Takes a web ReadableStream, or any async iterable of bytes (a Node IncomingMessage).
 */
export async function readCapped(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null, max: number): Promise<string | null> {
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  const take = (chunk: Uint8Array) => {
    size += chunk.byteLength;
    if (size > max) return false;
    chunks.push(chunk);
    return true;
  };
  if ("getReader" in body) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!take(value)) {
        await reader.cancel().catch(() => {});
        return null;
      }
    }
  } else {
    for await (const chunk of body) if (!take(chunk)) return null;
  }
  if (chunks.length === 1) return new TextDecoder().decode(chunks[0]);
  const all = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.byteLength;
  }
  return new TextDecoder().decode(all);
}
