/**
 * oasdiff's versioning policy: a breaking change requires a major version increase. Three ids, one per way
 * to break it (all INFO by default; teams raise them with severity levels to gate on them):
 *   api-version-not-bumped        info.version unchanged
 *   api-version-decreased         info.version moved backwards
 *   api-major-version-not-bumped  moved, but not by a major (below 1.0.0: a minor) version
 * Silent unless a change is at ERR (after severity levels) and both versions are semantic versions: a
 * date or a bare `v1` has no major version to judge.
 */
import type { Change } from './types';

/** semver.org's grammar, anchored, with an optional leading `v`; prerelease and build metadata ignored. */
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface Semver {
  major: number;
  minor: number;
  patch: number;
}

export function parseSemver(version: unknown): Semver | undefined {
  if (typeof version !== 'string') return undefined;
  const m = SEMVER.exec(version);
  if (!m) return undefined;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return Number.isSafeInteger(major) && Number.isSafeInteger(minor) && Number.isSafeInteger(patch) ? { major, minor, patch } : undefined;
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
  if (baseVersion === revisionVersion) {
    return { id: 'api-version-not-bumped', text: `a breaking change was detected but the version was not bumped, still ${to}` };
  }
  if (!increased(base, revision)) {
    return { id: 'api-version-decreased', text: `a breaking change was detected and the version decreased, from ${from} to ${to}` };
  }
  if (!majorBumped(base, revision)) {
    return { id: 'api-major-version-not-bumped', text: `a breaking change was detected but the major version did not increase, from ${from} to ${to}` };
  }
  return undefined;
}

function increased(base: Semver, revision: Semver): boolean {
  if (revision.major !== base.major) return revision.major > base.major;
  if (revision.minor !== base.minor) return revision.minor > base.minor;
  return revision.patch > base.patch;
}

/** Below 1.0.0 semver gives the minor version the major's role. */
function majorBumped(base: Semver, revision: Semver): boolean {
  if (base.major === 0 && revision.major === 0) return revision.minor > base.minor;
  return revision.major > base.major;
}
