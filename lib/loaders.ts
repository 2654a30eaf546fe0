/**
 * What a DataLoader batch function returns: one answer per key, in the keys' order, from the rows one
 * query fetched for all of them.
 */

/** The row for each key, or null where there is none. */
export function oneByKey<TRow>(keys: readonly string[], rows: readonly TRow[], keyOf: (row: TRow) => string): Array<TRow | null> {
  const byKey = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => byKey.get(key) ?? null);
}

/** The rows of each key, in the order the query returned them; [] where there are none. */
export function allByKey<TRow>(keys: readonly string[], rows: readonly TRow[], keyOf: (row: TRow) => string): TRow[][] {
  const groups = new Map<string, TRow[]>();
  for (const row of rows) {
    const group = groups.get(keyOf(row));
    if (group) group.push(row);
    else groups.set(keyOf(row), [row]);
  }
  return keys.map((key) => groups.get(key) ?? []);
}
