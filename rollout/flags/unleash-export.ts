import type { BootstrapSegment } from '../../core/config/bootstrap-file';
import type { RouteConfig } from '../../core/config/types';
import type { FlagsExport } from '../../core/flags';
import { servedIn, type UnleashAdminApi } from './unleash-admin';
import type { KnownFlags, UnleashSegment } from './unleash-client-session';
import type { UnleashFeature } from './unleash-mapping';

export interface ExportSources {
  /** Absent without an admin token: everything then comes from the last poll. */
  admin: UnleashAdminApi | undefined;
  /** The last known flags, asked for when needed: a poll may land while Unleash is being read. */
  lastKnown: () => KnownFlags;
  routes: readonly RouteConfig[];
  environment: string;
}

/**
 * The flags as Unleash's client API serves them, with the segments their strategies name (by id). With an
 * admin token the routes' flags and those segments are read from Unleash at this moment, so an export right
 * after `rollout set` has the change (the last poll can be a refresh interval old); the other flags, and
 * everything without an admin token, come from the last poll.
 */
export async function exportUnleashFlags(sources: ExportSources): Promise<FlagsExport> {
  const unread = new Unread();
  const features = sources.admin ? await featuresReadNow(sources.admin, sources, unread) : sources.lastKnown().features;
  // Parsed from Unleash's JSON: unleash-client's type allows a Date constraint value, JSON never holds one.
  const segments = (await segmentsNamedBy(features, sources, unread)) as BootstrapSegment[];
  if (unread.names.length === 0) return { version: 2, features, segments };
  const them = unread.names.length === 1 ? 'it' : 'them';
  const warning = `Unleash could not be read now (${unread.cause}): ${unread.names.join(', ')} exported as this proxy last had ${them}, which may be older than the last change`;
  return { version: 2, features, segments, warnings: [warning] };
}

async function featuresReadNow(admin: UnleashAdminApi, { routes, environment, lastKnown }: ExportSources, unread: Unread): Promise<UnleashFeature[]> {
  const flags = [...new Set(routes.map((route) => route.flag))];
  const current = new Map<string, UnleashFeature>();
  for (const flag of flags) {
    // A flag that cannot be read now keeps what the last poll had (the export is never worse than before), and the answer says so.
    const feature = await admin.getFeature(flag).catch((err: Error) => unread.add(`flag "${flag}"`, err));
    const served = feature && servedIn(feature, environment);
    if (!served) continue;
    const strategies = served.strategies.map(({ name, parameters, constraints, segments, variants }) => ({
      name,
      parameters: parameters ?? {},
      constraints: constraints ?? [],
      ...(segments?.length ? { segments } : {}),
      ...(variants?.length ? { variants } : {}),
    }));
    current.set(flag, { name: flag, enabled: served.enabled, strategies, ...(served.dependencies ? { dependencies: served.dependencies } : {}) });
  }
  const features = lastKnown().features.map((feature) => {
    const now = current.get(feature.name);
    current.delete(feature.name);
    return now ? { ...feature, ...now } : feature;
  });
  return [...features, ...current.values()];
}

/**
 * The segments `features` name, as Unleash's client API serves them (`{id, name, constraints}`): read now
 * with an admin token, else (or when that read fails) as last known. One known nowhere is left out.
 */
async function segmentsNamedBy(features: readonly UnleashFeature[], { admin, lastKnown }: ExportSources, unread: Unread): Promise<UnleashSegment[]> {
  const known = new Map(lastKnown().segments.map((segment) => [segment.id, segment]));
  const segments: UnleashSegment[] = [];
  for (const id of segmentIdsOf(features)) {
    const now = await admin?.getSegment(id).catch((err: Error) => unread.add(`segment ${id}`, err));
    const segment = now ? ({ id: now.id, name: now.name, constraints: now.constraints } as UnleashSegment) : known.get(id);
    if (segment) segments.push(segment);
  }
  return segments;
}

/** The ids of the segments the flags' strategies name, each once. */
function segmentIdsOf(features: readonly UnleashFeature[]): number[] {
  const ids = new Set<number>();
  for (const feature of features) {
    for (const strategy of feature.strategies ?? []) {
      for (const id of strategy.segments ?? []) if (typeof id === 'number') ids.add(id);
    }
  }
  return [...ids];
}

/** What an export could not read from Unleash now (flags, segments), and why the first of them failed. */
class Unread {
  readonly names: string[] = [];
  cause: string | undefined;

  /** Records `name` as unread; undefined, so a failed read stands for "not read now". */
  add(name: string, err: Error): undefined {
    this.names.push(name);
    this.cause ??= err.message;
    return undefined;
  }
}
