/**
 * Descriptive metadata: operation ids (a changed id is reported as removed, like oasdiff: generated clients
 * lose the old method name), operation tags, schemas removed from `components.schemas`, and `info.version`
 * going down.
 */
import { q, type DiffContext } from '../context';
import { matchedOperations } from './common';

export function checkMetadata(ctx: DiffContext): void {
  for (const { base, revision: op } of matchedOperations(ctx)) {
    if (base.operationId !== op.operationId) {
      if (base.operationId === undefined) ctx.emitOp('api-operation-id-added', op, `the operation id ${q(op.operationId)} was added`);
      else if (op.operationId === undefined) ctx.emitOp('api-operation-id-removed', op, `the operation id ${q(base.operationId)} was removed`);
      else ctx.emitOp('api-operation-id-removed', op, `the operation id changed from ${q(base.operationId)} to ${q(op.operationId)}`);
    }
    for (const tag of base.tags) if (!op.tags.includes(tag)) ctx.emitOp('api-tag-removed', op, `the tag ${q(tag)} was removed`);
    for (const tag of op.tags) if (!base.tags.includes(tag)) ctx.emitOp('api-tag-added', op, `the tag ${q(tag)} was added`);
  }
  for (const name of ctx.base.schemas.keys()) {
    if (!ctx.revision.schemas.has(name)) {
      const schemas = (ctx.revision.root.components as Record<string, unknown> | undefined)?.schemas;
      ctx.emit('api-schema-removed', `the schema ${q(name)} was removed from components`, { node: schemas ?? ctx.revision.root, file: ctx.revision.file });
    }
  }
  const bv = ctx.base.info.version;
  const rv = ctx.revision.info.version;
  if (typeof bv === 'string' && typeof rv === 'string' && compareVersions(rv, bv) < 0) {
    ctx.emit('api-version-decreased', `the API version decreased from ${q(bv)} to ${q(rv)}`, { node: ctx.revision.info, file: ctx.revision.file });
  }
}

/** Semver-ish comparison; undefined ordering (not numbers) compares as equal. */
function compareVersions(a: string, b: string): number {
  const pa = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(a.trim());
  const pb = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(b.trim());
  if (!pa || !pb) return 0;
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i] ?? 0) - Number(pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
