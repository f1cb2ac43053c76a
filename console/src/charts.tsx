import { BarController, BarElement, CategoryScale, Chart, type ChartConfiguration, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Colours with enough contrast on white, distinguishable without hue alone (bars also carry a legend and a table). */
export const COLORS = ['#1f4e9c', '#c2571a', '#2e7d32', '#6a3d9a', '#8c6d1f', '#0e7490', '#b91c1c', '#4b5563'];

export interface BarSeries {
  label: string;
  values: number[];
  stack?: string;
  color?: string;
}

export interface BarChartProps {
  /** Accessible name of the chart (the figures are also in the table beside it). */
  title: string;
  /** One label per bar group; an array is drawn on several lines. */
  labels: (string | string[])[];
  series: BarSeries[];
  horizontal?: boolean;
  stacked?: boolean;
  format?: (n: number) => string;
  /** A bar was chosen: the index of its label. */
  onPick?: (index: number) => void;
  height?: number;
  testId?: string;
}

/** A bar chart drawn by Chart.js; updated in place when its data change (no animation: figures move live). */
export function BarChart({ title, labels, series, horizontal, stacked, format, onPick, height, testId }: BarChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar'> | null>(null);
  const pick = useRef(onPick);
  pick.current = onPick;
  const fmt = useRef(format);
  fmt.current = format;

  const data = {
    labels,
    datasets: series.map((s, i) => ({ label: s.label, data: s.values, stack: s.stack, backgroundColor: s.color ?? COLORS[i % COLORS.length], borderWidth: 0 })),
  };

  useEffect(() => {
    const valueAxis = { stacked: !!stacked, beginAtZero: true, ticks: { callback: (v: number | string) => (fmt.current ? fmt.current(Number(v)) : String(v)) } };
    const categoryAxis = { stacked: !!stacked };
    const config: ChartConfiguration<'bar'> = {
      type: 'bar',
      data,
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${fmt.current ? fmt.current(Number(c.raw)) : String(c.raw)}` } },
        },
        onClick: (_e, elements) => {
          const el = elements[0];
          if (el && pick.current) pick.current(el.index);
        },
      },
    };
    chart.current = new Chart(canvas.current!, config);
    return () => chart.current?.destroy();
  }, [horizontal, stacked]);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data = data;
    c.update('none');
  });

  return (
    <div class="chart" style={{ height: `${height ?? 280}px` }} data-testid={testId} data-figures={JSON.stringify({ labels, series: series.map((s) => ({ label: s.label, values: s.values })) })}>
      <canvas ref={canvas} role="img" aria-label={title} />
    </div>
  );
}
