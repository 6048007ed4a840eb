import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the request path. prom-client re-validates and re-hashes labels on
 * every inc/observe even on bound children; these children are plain numbers, turned into
 * prom-client's exposition only when /metrics is scraped.
 */
interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricSnapshot {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  values: MetricValue[];
}

abstract class HotMetric<Child> {
  readonly aggregator = 'sum' as const;
  protected readonly children = new Map<string, { labels: Record<string, string>; child: Child }>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  /** The child for one label set; keep it: it is what the request path touches. */
  labels(...values: string[]): Child {
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i] ?? ''));
      entry = { labels, child: this.createChild() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  reset(): void {
    this.children.clear();
  }

  protected abstract createChild(): Child;
  abstract get(): Promise<MetricSnapshot>;
}

export class CounterChild {
  value = 0;

  inc(by = 1): void {
    this.value += by;
  }
}

export class HotCounter extends HotMetric<CounterChild> {
  readonly type = 'counter' as const;

  protected createChild(): CounterChild {
    return new CounterChild();
  }

  async get(): Promise<MetricSnapshot> {
    const values = [...this.children.values()].map(({ labels, child }) => ({ labels, value: child.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly upperBounds: readonly number[]) {
    this.counts = new Float64Array(upperBounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const bounds = this.upperBounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

export class HotHistogram extends HotMetric<HistogramChild> {
  readonly type = 'histogram' as const;

  constructor(name: string, help: string, labelNames: readonly string[], private readonly buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }

  protected createChild(): HistogramChild {
    return new HistogramChild(this.buckets);
  }

  async get(): Promise<MetricSnapshot> {
    const values: MetricValue[] = [];
    for (const { labels, child } of this.children.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += child.counts[i]!;
        values.push({ labels: { ...labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...labels, le: '+Inf' }, value: child.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: child.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: child.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
