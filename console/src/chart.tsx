// A bar chart of counts as inline SVG: one bar per name, its number at the bar's end. The SVG is a
// picture with a summary (role="img", aria-label); the same numbers stay in a table beside it.
import type { JSX } from "preact";

const ROW = 26;
const LABEL = 190;
const BAR = 300;
const NUMBER = 60;

/** "3 contacts: sent 2, blocked:dnc_listed 1" — what a screen reader hears for the chart. */
export function summary(counts: Record<string, number>, noun: string): string {
  const rows = Object.entries(counts).sort(([, a], [, b]) => b - a);
  const total = rows.reduce((sum, [, count]) => sum + count, 0);
  if (rows.length === 0) return `No ${noun} yet`;
  return `${total} ${noun}: ${rows.map(([name, count]) => `${name} ${count}`).join(", ")}`;
}

export function BarChart(props: { counts: Record<string, number>; noun: string; id: string }): JSX.Element | null {
  const rows = Object.entries(props.counts).sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  if (rows.length === 0) return null;
  const most = Math.max(1, ...rows.map(([, count]) => count));
  const height = rows.length * ROW + 4;
  return (
    <svg
      id={props.id}
      class="chart"
      role="img"
      aria-label={summary(props.counts, props.noun)}
      viewBox={`0 0 ${LABEL + BAR + NUMBER} ${height}`}
      width={LABEL + BAR + NUMBER}
      height={height}
    >
      {rows.map(([name, count], i) => {
        const y = i * ROW + 2;
        const width = count === 0 ? 0 : Math.max(2, Math.round((count / most) * BAR));
        return (
          <g key={name} aria-hidden="true">
            <text x={LABEL - 8} y={y + ROW / 2 + 5} text-anchor="end" class="chart-label">
              {name.length > 26 ? `${name.slice(0, 25)}…` : name}
            </text>
            <rect x={LABEL} y={y + 3} width={width} height={ROW - 8} class="chart-bar" />
            <text x={LABEL + width + 6} y={y + ROW / 2 + 5} class="chart-number">
              {count}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
