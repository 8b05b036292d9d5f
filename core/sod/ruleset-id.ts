/** A ruleset's id: its file name without folders or `.yaml`/`.yml` (`../../rules/sox-core.yaml` → `sox-core`). Sealed records name rulesets by it, never by a local path. */
export function rulesetId(path: string): string {
  const name = path.split(/[\\/]/).pop() ?? path;
  return name.replace(/\.ya?ml$/i, '');
}
