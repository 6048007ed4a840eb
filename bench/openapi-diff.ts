/**
 * OpenAPI diff speed: two generated ~5 MB specs (thousands of paths, thousands of component schemas joined
 * by `$ref`s, some of them circular), the revision carrying a few hundred changes of every family, diffed by
 * the native engine end to end (read + parse + resolve + compare). Goal: ≤ 2 s.
 *
 *   npm run build && node dist/bench/openapi-diff.js            # JSON specs (the usual form of big specs)
 *   node dist/bench/openapi-diff.js --yaml                      # the same specs as YAML
 *   node dist/bench/openapi-diff.js --runs 5
 *
 * Prints the first (cold) run and the median of the runs, then one JSON line.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { diffOpenApi } from '../contracts/openapi';
import { benchArgs } from './bench-args';

const GOAL_SECONDS = 2;
const TARGET_BYTES = 5 * 1024 * 1024;

const ARGS = benchArgs('openapi-diff', 'usage: node dist/bench/openapi-diff.js [--runs 1-50] [--yaml]', { values: ['--runs'], switches: ['--yaml'] });

function arg(name: string, fallback: number): number {
  const text = ARGS.get(name);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1 || v > 50) {
    console.error(`bench/openapi-diff: ${name} expects a whole number from 1 to 50, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return v;
}

type Obj = Record<string, unknown>;

/** A deterministic spec of `paths` paths and `schemas` schemas; `revision` applies the changes. */
function generate(paths: number, schemas: number, revision: boolean): Obj {
  const components: Obj = {};
  for (let i = 0; i < schemas; i++) {
    const changed = revision && i % 50 === 7;
    const properties: Obj = {
      id: { type: 'string', format: 'uuid', description: `Identifier of resource ${i}` },
      name: { type: 'string', maxLength: changed ? 40 : 80, description: 'Display name' },
      status: { type: 'string', enum: changed ? ['active', 'inactive', 'archived'] : ['active', 'inactive'] },
      count: { type: changed && i % 100 === 7 ? 'number' : 'integer', minimum: 0 },
      tags: { type: 'array', items: { type: 'string', maxLength: 32 } },
      createdAt: { type: 'string', format: 'date-time', readOnly: true },
      related: { $ref: `#/components/schemas/Common${i % 40}` },
      parent: { $ref: `#/components/schemas/Resource${i}` },
      meta: { type: 'object', additionalProperties: { type: 'string' }, properties: { etag: { type: 'string' }, version: { type: 'integer' } } },
    };
    if (!(revision && i % 50 === 13)) properties.legacyCode = { type: 'string', pattern: '^[A-Z]{3}$' };
    components[`Resource${i}`] = { type: 'object', required: revision && i % 50 === 21 ? ['id'] : ['id', 'name'], properties, description: `Resource number ${i}, generated for the benchmark.` };
  }
  for (let i = 0; i < 40; i++) {
    components[`Common${i}`] = {
      type: 'object',
      properties: { amount: { type: 'number' }, currency: { type: 'string', minLength: 3, maxLength: revision && i === 5 ? 4 : 3 }, note: { type: 'string' } },
    };
  }
  const pathItems: Obj = {};
  for (let i = 0; i < paths; i++) {
    if (revision && i % 200 === 3) continue; // removed paths
    const s = `#/components/schemas/Resource${i % schemas}`;
    const limit: Obj = { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: revision && i % 100 === 5 ? 50 : 100 } };
    const params: Obj[] = [limit, { name: 'cursor', in: 'query', schema: { type: 'string' } }];
    if (revision && i % 100 === 9) params.push({ name: 'tenant', in: 'header', required: true, schema: { type: 'string' } });
    pathItems[`/v1/collection${i}/{id}`] = {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        operationId: `get${i}`,
        tags: [`group${i % 20}`],
        summary: `Read item ${i}`,
        parameters: params,
        responses: {
          '200': { description: 'ok', headers: { 'X-Rate-Limit': { required: true, schema: { type: 'integer' } } }, content: { 'application/json': { schema: { $ref: s } } } },
          '404': { description: 'not found', content: { 'application/json': { schema: { type: 'object', properties: { message: { type: 'string' } } } } } },
        },
      },
      put: {
        operationId: `put${i}`,
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: s } } } },
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: s } } } }, ...(revision && i % 150 === 11 ? {} : { '204': { description: 'no content' } }) },
      },
    };
  }
  return { openapi: '3.0.3', info: { title: 'Benchmark API', version: revision ? '1.1.0' : '1.0.0' }, paths: pathItems, components: { schemas: components } };
}

function main(): void {
  const yaml = ARGS.has('--yaml');
  const runs = arg('--runs', 3);
  const dir = mkdtempSync(join(tmpdir(), 'openapi-bench-'));
  try {
    // Size the spec to ~5 MB in the chosen format.
    let paths = 2000;
    let schemas = 1500;
    const render = (doc: Obj): string => (yaml ? stringify(doc, { aliasDuplicateObjects: false }) : JSON.stringify(doc, null, 2));
    let text = render(generate(paths, schemas, false));
    const scale = TARGET_BYTES / Buffer.byteLength(text);
    paths = Math.round(paths * scale);
    schemas = Math.round(schemas * scale);
    const ext = yaml ? 'yaml' : 'json';
    const baseFile = join(dir, `base.${ext}`);
    const revFile = join(dir, `revision.${ext}`);
    writeFileSync(baseFile, render(generate(paths, schemas, false)));
    writeFileSync(revFile, render(generate(paths, schemas, true)));
    text = '';
    const mb = (f: string): number => statSync(f).size / 1024 / 1024;
    console.log(`specs: ${paths} paths, ${schemas} schemas, ${ext}; base ${mb(baseFile).toFixed(2)} MB, revision ${mb(revFile).toFixed(2)} MB`);

    const times: number[] = [];
    let changes = 0;
    let errors = 0;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const result = diffOpenApi(baseFile, revFile);
      times.push((performance.now() - t0) / 1000);
      changes = result.length;
      errors = result.filter((c) => c.level === 'ERR').length;
    }
    const cold = times[0]!;
    const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    const met = cold <= GOAL_SECONDS;
    console.log(`changes found: ${changes} (${errors} ERR)`);
    console.log(`native diff, first run: ${cold.toFixed(3)} s; median of ${runs}: ${median.toFixed(3)} s`);
    console.log(`goal ≤ ${GOAL_SECONDS} s for two 5 MB specs: ${met ? 'met' : 'NOT met'}`);
    console.log(
      JSON.stringify({
        bench: 'openapi-diff',
        format: ext,
        baseMB: +mb(baseFile).toFixed(2),
        revisionMB: +mb(revFile).toFixed(2),
        paths,
        schemas,
        changes,
        firstRunSeconds: +cold.toFixed(3),
        medianSeconds: +median.toFixed(3),
        goalSeconds: GOAL_SECONDS,
        goalMet: met,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
