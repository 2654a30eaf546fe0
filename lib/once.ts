/** Wraps an async action so that later calls share the first call's promise (e.g. `stop()` called twice). */
export function once<T>(action: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => (running ??= action());
}
