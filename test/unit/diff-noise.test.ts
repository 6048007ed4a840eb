import type { FieldDifference } from '../../core/comparison';
import { StranglerError } from '../../core/errors';
import { classify, compareResponses, compileDiffOptions, NoiseModel, type HttpSnapshot } from '../../diff-reader/engine';

const d = (path: string, kind: FieldDifference['kind'] = 'changed'): FieldDifference => ({ path, kind, legacy: '1', candidate: '2' });

describe('classify', () => {
  test('no differences: match', () => {
    expect(classify([], [d('$.a')], new NoiseModel())).toEqual({ result: 'match', differences: [], noise: [] });
    expect(classify([], undefined)).toEqual({ result: 'match', differences: [], noise: [] });
  });

  test('a difference legacy also has with itself in this request is noise', () => {
    const pvc = [d('$.meta.generatedAt'), d('$.requestId')];
    const pvs = [d('$.requestId'), d('$.meta.generatedAt')];
    expect(classify(pvc, pvs, new NoiseModel())).toEqual({ result: 'noise', differences: [], noise: pvc });
  });

  test('mixed: mismatch, with the noise set apart', () => {
    const pvc = [d('$.meta.generatedAt'), d('$.items[*].price'), d('status')];
    const result = classify(pvc, [d('$.meta.generatedAt')], new NoiseModel());
    expect(result.result).toBe('mismatch');
    expect(result.differences).toEqual([d('$.items[*].price'), d('status')]);
    expect(result.noise).toEqual([d('$.meta.generatedAt')]);
  });

  test('without a secondary only the model can explain noise', () => {
    expect(classify([d('$.a')], undefined, new NoiseModel()).result).toBe('mismatch');
    expect(classify([d('$.a')], [], new NoiseModel()).result).toBe('mismatch');
  });

  test('legacy disagreeing with itself at an ancestor explains nothing below it, nor above', () => {
    // Legacy's meta is sometimes null: that says nothing about meta.count when both sides have it.
    expect(classify([d('$.meta.count')], [d('$.meta', 'type')]).result).toBe('mismatch');
    // Legacy's list varies in length: a wrong price in an item both sides have is still wrong.
    expect(classify([d('$.items[*].price')], [d('$.items[*]', 'added')]).result).toBe('mismatch');
    expect(classify([d('$.meta', 'removed')], [d('$.meta.generatedAt')]).result).toBe('mismatch');
    expect(classify([d('$.metadata')], [d('$.meta')]).result).toBe('mismatch');
  });

  test('only the same way of differing explains: a varying value excuses a changed one, not a field dropped or retyped', () => {
    expect(classify([d('$.generatedAt', 'removed')], [d('$.generatedAt', 'changed')]).result).toBe('mismatch');
    expect(classify([d('$.generatedAt', 'type')], [d('$.generatedAt', 'changed')]).result).toBe('mismatch');
    expect(classify([d('$.generatedAt', 'changed')], [d('$.generatedAt', 'changed')]).result).toBe('noise');
    expect(classify([d('$.n', 'changed')], [d('$.n', 'type')]).result).toBe('noise');
    expect(classify([d('$.n', 'type')], [d('$.n', 'type')]).result).toBe('noise');
    // A field legacy sometimes leaves out: its absence, or presence, on the new service is noise; a changed value is not.
    expect(classify([d('$.debug', 'removed')], [d('$.debug', 'added')]).result).toBe('noise');
    expect(classify([d('$.debug', 'added')], [d('$.debug', 'removed')]).result).toBe('noise');
    expect(classify([d('$.debug', 'changed')], [d('$.debug', 'removed')]).result).toBe('mismatch');
  });

  test('the model learns the way a path varies, too', () => {
    const model = new NoiseModel({ relativeThreshold: 0.5, absoluteThreshold: 2 });
    for (let i = 0; i < 4; i++) model.observe([d('$.at')], [d('$.at', 'changed')]);
    expect(model.explains(d('$.at', 'changed'))).toBe(true);
    expect(model.explains(d('$.at', 'removed'))).toBe(false);
    expect(classify([d('$.at', 'removed')], undefined, model).result).toBe('mismatch');
  });

  test('end to end: legacy answering meta null now and then does not hide a wrong count', () => {
    const options = compileDiffOptions();
    const snap = (body: object): HttpSnapshot => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
    const model = new NoiseModel();
    for (let i = 0; i < 20; i++) {
      const primary = snap({ meta: { count: 5 } });
      const secondary = snap({ meta: i % 3 === 0 ? null : { count: 5 } });
      const candidate = snap({ meta: { count: 6 } });
      const pvc = compareResponses(primary, candidate, options);
      const pvs = compareResponses(primary, secondary, options);
      model.observe(pvc, pvs);
      expect(classify(pvc, pvs, model)).toMatchObject({ result: 'mismatch', differences: [{ path: '$.meta.count', kind: 'changed' }] });
    }
    expect(model.isPathNoisy('$.meta')).toBe(true);
  });

  test('a path the model learned as noisy is noise in a request without a secondary', () => {
    const model = new NoiseModel({ relativeThreshold: 0.5, absoluteThreshold: 2 });
    for (let i = 0; i < 4; i++) model.observe([d('$.nonce')], [d('$.nonce')]);
    expect(model.explains(d('$.nonce'))).toBe(true);
    expect(model.explains(d('$.nonce.inner'))).toBe(false);
    expect(model.explains(d('$.other'))).toBe(false);
    const result = classify([d('$.nonce'), d('$.other')], undefined, model);
    expect(result).toEqual({ result: 'mismatch', differences: [d('$.other')], noise: [d('$.nonce')] });
    expect(classify([d('$.nonce')], undefined, model).result).toBe('noise');
  });

  test('classify does not change the model', () => {
    const model = new NoiseModel();
    classify([d('$.a')], [d('$.a')], model);
    expect(model.snapshot()).toEqual({ samples: 0, relativeThreshold: 0.2, absoluteThreshold: 3, paths: [] });
  });

  test('end to end with compareResponses: a volatile field is noise, a real change is not', () => {
    const options = compileDiffOptions();
    const snap = (body: object): HttpSnapshot => ({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) });
    const primary = snap({ id: 1, price: 10, generatedAt: '2024-05-01T10:00:00.120Z' });
    const secondary = snap({ id: 1, price: 10, generatedAt: '2024-05-01T10:00:00.180Z' });
    const candidate = snap({ id: 1, price: 11, generatedAt: '2024-05-01T10:00:00.150Z' });
    const result = classify(compareResponses(primary, candidate, options), compareResponses(primary, secondary, options), new NoiseModel());
    expect(result.result).toBe('mismatch');
    expect(result.differences.map((x) => x.path)).toEqual(['$.price']);
    expect(result.noise.map((x) => x.path)).toEqual(['$.generatedAt']);
  });
});

describe('NoiseModel thresholds: noise / samples ≥ relativeThreshold AND noise ≥ absoluteThreshold', () => {
  function modelWith(samples: number, noiseCount: number, options?: ConstructorParameters<typeof NoiseModel>[0]): NoiseModel {
    const model = new NoiseModel(options);
    for (let i = 0; i < samples; i++) model.observe([d('$.x')], i < noiseCount ? [d('$.x')] : []);
    return model;
  }

  test('defaults 0.2 and 3: exactly at both bounds is noisy', () => {
    const model = modelWith(15, 3);
    expect(model.snapshot().paths).toEqual([{ path: '$.x', raw: 15, noise: 3, samples: 15, noisy: true }]);
    expect(model.isPathNoisy('$.x')).toBe(true);
  });

  test('just under the relative bound: 3 / 16 = 0.1875', () => {
    expect(modelWith(16, 3).isPathNoisy('$.x')).toBe(false);
  });

  test('under the absolute bound even at 100 %: 2 of 2', () => {
    expect(modelWith(2, 2).isPathNoisy('$.x')).toBe(false);
    expect(modelWith(3, 3).isPathNoisy('$.x')).toBe(true);
  });

  test('a path stops being noisy as clean samples accumulate', () => {
    const model = modelWith(10, 3);
    expect(model.isPathNoisy('$.x')).toBe(true);
    for (let i = 0; i < 10; i++) model.observe([], []);
    expect(model.samples).toBe(20);
    expect(model.isPathNoisy('$.x')).toBe(false); // 3 / 20 = 0.15
  });

  test('custom thresholds', () => {
    expect(modelWith(10, 1, { relativeThreshold: 0.1, absoluteThreshold: 1 }).isPathNoisy('$.x')).toBe(true);
    expect(modelWith(10, 5, { relativeThreshold: 0.6, absoluteThreshold: 1 }).isPathNoisy('$.x')).toBe(false);
    expect(modelWith(10, 0, { relativeThreshold: 0, absoluteThreshold: 0 }).isPathNoisy('$.x')).toBe(true);
    expect(new NoiseModel({ relativeThreshold: 0, absoluteThreshold: 0 }).isPathNoisy('$.x')).toBe(false);
  });

  test('comparisons without a secondary are not counted at all', () => {
    const model = new NoiseModel();
    model.observe([d('$.x')], undefined);
    expect(model.samples).toBe(0);
    expect(model.snapshot().paths).toEqual([]);
  });

  test('a path counts once per comparison, however many times it differs there', () => {
    const model = new NoiseModel();
    model.observe([d('$.items[*].price'), d('$.items[*].price'), d('$.items[*].price')], [d('$.items[*].price'), d('$.items[*].price')]);
    expect(model.snapshot().paths).toEqual([{ path: '$.items[*].price', raw: 1, noise: 1, samples: 1, noisy: false }]);
  });

  test('snapshot: per path raw, noise, samples, noisy, sorted by path', () => {
    const model = new NoiseModel();
    for (let i = 0; i < 5; i++) model.observe([d('$.price'), d('$.at'), d('status')], [d('$.at'), ...(i === 0 ? [d('$.rare')] : [])]);
    expect(model.snapshot()).toEqual({
      samples: 5,
      relativeThreshold: 0.2,
      absoluteThreshold: 3,
      paths: [
        { path: '$.at', raw: 5, noise: 5, samples: 5, noisy: true },
        { path: '$.price', raw: 5, noise: 0, samples: 5, noisy: false },
        { path: '$.rare', raw: 0, noise: 1, samples: 5, noisy: false },
        { path: 'status', raw: 5, noise: 0, samples: 5, noisy: false },
      ],
    });
  });

  test('maxPaths bounds memory: paths first seen beyond it are not tracked', () => {
    const model = new NoiseModel({ maxPaths: 2 });
    model.observe([d('$.a'), d('$.b'), d('$.c')], [d('$.c')]);
    expect(model.snapshot().paths.map((p) => p.path)).toEqual(['$.a', '$.b']);
  });

  test.each([
    [{ relativeThreshold: -0.1 }, 'noise option relativeThreshold: expected a fraction between 0 and 1, got -0.1'],
    [{ relativeThreshold: 1.5 }, 'noise option relativeThreshold: expected a fraction between 0 and 1, got 1.5'],
    [{ relativeThreshold: NaN }, 'noise option relativeThreshold: expected a fraction between 0 and 1, got NaN'],
    [{ absoluteThreshold: -1 }, 'noise option absoluteThreshold: expected an integer ≥ 0, got -1'],
    [{ absoluteThreshold: 2.5 }, 'noise option absoluteThreshold: expected an integer ≥ 0, got 2.5'],
    [{ maxPaths: 0 }, 'noise option maxPaths: expected an integer ≥ 1, got 0'],
  ])('bad options %j throw', (options, message) => {
    expect(() => new NoiseModel(options)).toThrow(StranglerError);
    expect(() => new NoiseModel(options)).toThrow(message);
  });
});
