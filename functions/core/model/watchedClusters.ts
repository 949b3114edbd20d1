/**
 * The clusters a deployment watches (CLUSTERS): a cluster name watches that name in every handled
 * region; `REGION/NAME` only in that region. A deployment that covers several regions passes qualified
 * names, since its access entries and IAM scope are per region and cluster names repeat across regions.
 */

/** `eu-west-1/prod` → { region: 'eu-west-1', name: 'prod' }; `prod` → { name: 'prod' }. */
export function watchedCluster(entry: string): { region?: string; name: string } {
  const slash = entry.indexOf('/');
  return slash < 0 ? { name: entry } : { region: entry.slice(0, slash), name: entry.slice(slash + 1) };
}

/** Whether cluster `name` of `region` is one of the watched entries. */
export function isWatchedCluster(
  entries: readonly string[],
  region: string | undefined,
  name: string,
): boolean {
  return entries.some((entry) => {
    const watched = watchedCluster(entry);
    return watched.name === name && (watched.region === undefined || watched.region === region);
  });
}
