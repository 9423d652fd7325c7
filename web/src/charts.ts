// Charts through Chart.js (tree-shaken: only the bar and line pieces are registered). Each chart
// also carries its numbers as a visually hidden table, so the figures are readable without sight
// and testable without pixels.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from "chart.js";
import { h } from "./dom";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Filler);
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || "system-ui";
Chart.defaults.animation = false; // numbers, not motion; also keeps screenshots deterministic

const accent = "#2563eb";

//! Axis numbers as people write them ("0.00005", "1,200"), never in exponent form.
function tick(this: unknown, value: number | string): string {
  return Number(value).toLocaleString("en-US", { maximumSignificantDigits: 4 });
}

export interface Series {
  labels: string[];
  values: number[];
  label: string; //!< what a value is, e.g. "OPEN earned"
}

function figure(title: string, s: Series, type: "bar" | "line", horizontal = false): HTMLElement {
  const canvas = h("canvas", { role: "img", "aria-label": `${title} (chart)` });
  const fig = h(
    "figure",
    { class: "chart" },
    h("figcaption", null, title),
    h("div", { class: "chart-box", style: `height:${horizontal ? Math.max(120, 28 * s.labels.length + 40) : 220}px` }, canvas),
    h(
      "table",
      { class: "sr-only" },
      h("caption", null, title),
      h("tbody", null, s.labels.map((l, i) => h("tr", null, h("th", { scope: "row" }, l), h("td", null, String(s.values[i]))))),
    ),
  );
  // Drawn once the canvas is laid out in the document (Chart.js measures its container); pages
  // are often built before they are inserted.
  const observer = new ResizeObserver(() => {
    if (!canvas.isConnected || canvas.getBoundingClientRect().width === 0) return;
    observer.disconnect();
    draw();
  });
  observer.observe(canvas);
  const draw = () => {
    new Chart(canvas, {
      type,
      data: {
        labels: s.labels,
        datasets: [
          {
            label: s.label,
            data: s.values,
            backgroundColor: type === "bar" ? accent : "rgba(37,99,235,0.15)",
            borderColor: accent,
            fill: type === "line",
            tension: 0.25,
          },
        ],
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        maintainAspectRatio: false,
        responsive: true,
        plugins: { tooltip: { enabled: true } },
        // Numbers on the value axis only; the category axis keeps Chart.js's labels.
        scales: horizontal
          ? { x: { beginAtZero: true, ticks: { callback: tick } }, y: { beginAtZero: true } }
          : { x: { beginAtZero: true }, y: { beginAtZero: true, ticks: { callback: tick } } },
      },
    });
    fig.setAttribute("data-drawn", "true");
  };
  return fig;
}

export const barChart = (title: string, s: Series): HTMLElement => figure(title, s, "bar");
export const hbarChart = (title: string, s: Series): HTMLElement => figure(title, s, "bar", true);
export const lineChart = (title: string, s: Series): HTMLElement => figure(title, s, "line");
