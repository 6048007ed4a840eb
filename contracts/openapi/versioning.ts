/**
 * oasdiff's versioning policy: a breaking change requires a major version increase. Three ids, one per way
 * to break it (all INFO by default; teams raise them with severity levels to gate on them):
 *   api-version-not-bumped        info.version unchanged
 *   api-version-decreased         info.version moved backwards
 *   api-major-version-not-bumped  moved, but not by a major (below 1.0.0: a minor) version
 * Silent unless a change is at ERR (after severity levels) and both versions are semantic versions: a
 * date or a bare `v1` has no major version to judge. Versions are ordered by semver's precedence (a
 * prerelease comes before its release, build metadata and a leading `v` do not count), and a prerelease
 * promises nothing (semver §9), so breaking it on the way to a later version is no violation.
 */
import type { Change } from './types';

/** semver.org's grammar, anchored, with an optional leading `v`. */
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface Semver {
  major: number;
  minor: number;
  patch: number;
  /** Prerelease identifiers (`rc.1` → ['rc', '1']); empty for a release. */
  prerelease: string[];
}

export function parseSemver(version: unknown): Semver | undefined {
  if (typeof version !== 'string') return undefined;
  const m = SEMVER.exec(version);
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!Number.isSafeInteger(major) || !Number.isSafeInteger(minor) || !Number.isSafeInteger(patch)) return undefined;
  return { major, minor, patch, prerelease: m[4] === undefined ? [] : m[4].split('.') };
}

export interface VersionViolation {
  id: 'api-version-not-bumped' | 'api-version-decreased' | 'api-major-version-not-bumped';
  text: string;
}

/** The policy's finding for these changes and versions, or undefined when there is nothing to say. */
export function versioningViolation(changes: readonly Pick<Change, 'level'>[], baseVersion: unknown, revisionVersion: unknown): VersionViolation | undefined {
  const base = parseSemver(baseVersion);
  const revision = parseSemver(revisionVersion);
  if (!base || !revision || !changes.some((c) => c.level === 'ERR')) return undefined;
  const from = `'${String(baseVersion)}'`;
  const to = `'${String(revisionVersion)}'`;
  const order = comparePrecedence(base, revision);
  if (order === 0) {
    return { id: 'api-version-not-bumped', text: `a breaking change was detected but the version was not bumped, still ${to}` };
  }
  if (order > 0) {
    return { id: 'api-version-decreased', text: `a breaking change was detected and the version decreased, from ${from} to ${to}` };
  }
  if (base.prerelease.length === 0 && !majorBumped(base, revision)) {
    return { id: 'api-major-version-not-bumped', text: `a breaking change was detected but the major version did not increase, from ${from} to ${to}` };
  }
  return undefined;
}

/** semver §11: negative when `a` comes first, 0 when of equal precedence, positive when `b` does. */
function comparePrecedence(a: Semver, b: Semver): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  // A release comes after its prereleases.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const order = compareIdentifiers(a.prerelease[i]!, b.prerelease[i]!);
    if (order !== 0) return order;
  }
  return a.prerelease.length - b.prerelease.length;
}

/** Numeric identifiers compare as numbers and come before alphanumeric ones, which compare in ASCII order. */
function compareIdentifiers(a: string, b: string): number {
  const numericA = /^\d+$/.test(a);
  const numericB = /^\d+$/.test(b);
  if (numericA && numericB) return Number(a) - Number(b);
  if (numericA !== numericB) return numericA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Below 1.0.0 semver gives the minor version the major's role. */
function majorBumped(base: Semver, revision: Semver): boolean {
  if (base.major === 0 && revision.major === 0) return revision.minor > base.minor;
  return revision.major > base.major;
}
