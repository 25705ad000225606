// Types of the Prometheus text-format parser the metrics tests read our file with (the package ships none).
declare module 'parse-prometheus-text-format' {
  export interface MetricFamily {
    name: string;
    help: string;
    type: string;
    metrics: Array<{ value: string; labels?: Record<string, string>; timestamp_ms?: string }>;
  }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
