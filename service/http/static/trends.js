// Trends: the chosen kind's counts (amounts, for New Year damage) per day over the last eight
// weeks and per week this year against last year, from GET /v1/series. Redrawn at most twice
// a second while the live stream reports changes. Plain SVG drawn here, nothing fetched from
// elsewhere; beside each chart a table with the same figures for screen readers.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";
const TRENDS_REDRAW_MS = 500;
const CHART_HEIGHT = 100;
const BAR_STEP = 10;
const trends = { kind: null, timer: null, request: 0 };

function svgNode(tag, attributes = {}, text = "") {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

async function seriesOf(kind, scope) {
  const response = await fetch(`/v1/series?${new URLSearchParams({ kind, scope })}`);
  if (!response.ok) throw new Error(`/v1/series answered ${response.status}`);
  return response.json();
}

// Called by the dashboard when the kind changes (at once) and on every live change (soon).
function trendsFor(kind) {
  const changed = kind !== trends.kind;
  trends.kind = kind;
  if (trends.timer && !changed) return;
  clearTimeout(trends.timer);
  trends.timer = setTimeout(() => {
    trends.timer = null;
    drawTrends().catch(() => {}); // the stream's status shows a lost connection
  }, changed ? 0 : TRENDS_REDRAW_MS);
}

function trendValue(kind) {
  return kind === "jaarwisselingsschade" ? (point) => point.amount_cents : (point) => point.count;
}

function trendText(kind, value) {
  return kind === "jaarwisselingsschade" ? euros(value) : group(value);
}

async function drawTrends() {
  const request = ++trends.request;
  const { kind } = trends;
  const [days, weeks] = await Promise.all([seriesOf(kind, "day"), seriesOf(kind, "week")]);
  if (request !== trends.request) return; // the kind changed meanwhile
  const value = trendValue(kind);
  const points = days.series[0].points;
  drawDays(document.getElementById("trend-days"), points, value, kind);
  drawWeeks(document.getElementById("trend-weeks"), weeks.series, value, kind);
  fillTable("trend-days-table", [["Dag", "Waarde"]], points.map((p) => [p.period, trendText(kind, value(p))]));
  const [before, now] = weeks.series;
  const last = new Map(before.points.map((p) => [p.period.slice(5), p]));
  fillTable(
    "trend-weeks-table",
    [["Week", now.name, before.name, "Opvallend"]],
    now.points.map((p) => {
      const then = last.get(p.period.slice(5));
      return [p.period.slice(5), trendText(kind, value(p)), then ? trendText(kind, value(then)) : "–",
        p.marked ? "ja" : ""];
    }),
  );
  const marked = now.points.filter((p) => p.marked).map((p) => p.period.slice(5));
  document.getElementById("trend-marked").textContent = marked.length
    ? `Opvallend hoog: ${marked.join(", ")}.`
    : "Geen week opvallend hoog.";
}

function scaleOf(values) {
  const top = Math.max(1, ...values);
  return (v) => Math.round((v / top) * (CHART_HEIGHT - 20));
}

function drawDays(chart, points, value, kind) {
  const scale = scaleOf(points.map(value));
  chart.setAttribute("viewBox", `0 0 ${points.length * BAR_STEP} ${CHART_HEIGHT}`);
  chart.replaceChildren();
  points.forEach((point, n) => {
    const height = Math.max(scale(value(point)), value(point) ? 1 : 0);
    const bar = svgNode("rect", {
      x: n * BAR_STEP + 1,
      y: CHART_HEIGHT - height,
      width: BAR_STEP - 2,
      height,
      class: n === points.length - 1 ? "bar today" : "bar",
      "data-period": point.period,
      "data-count": point.count,
    });
    bar.append(svgNode("title", {}, `${point.period}: ${trendText(kind, value(point))}`));
    chart.append(bar);
  });
}

function drawWeeks(chart, series, value, kind) {
  const [before, now] = series;
  const scale = scaleOf([...before.points, ...now.points].map(value));
  const width = 53 * BAR_STEP;
  chart.setAttribute("viewBox", `0 0 ${width} ${CHART_HEIGHT}`);
  chart.replaceChildren();
  const x = (point) => (Number(point.period.slice(6)) - 0.5) * BAR_STEP;
  const y = (point) => CHART_HEIGHT - 2 - scale(value(point));
  for (const [line, name] of [[before, "last"], [now, "this"]]) {
    const path = line.points.map((p) => `${x(p)},${y(p)}`).join(" ");
    chart.append(svgNode("polyline", { points: path, class: `line ${name}` }));
  }
  for (const point of now.points) {
    const dot = svgNode("circle", {
      cx: x(point),
      cy: y(point),
      r: point.marked ? 5 : 2,
      class: point.marked ? "dot marked" : "dot",
      "data-period": point.period,
      "data-count": point.count,
      "data-marked": String(point.marked),
    });
    dot.append(svgNode("title", {}, `${point.period}: ${trendText(kind, value(point))}${point.marked ? " (opvallend hoog)" : ""}`));
    chart.append(dot);
    if (point.marked) chart.append(svgNode("text", { x: x(point), y: y(point) - 8, class: "mark" }, "▲"));
  }
}

function fillTable(id, head, rows) {
  const table = document.getElementById(id);
  const header = document.createElement("thead");
  const row = document.createElement("tr");
  for (const name of head[0]) row.append(el("th", { scope: "col" }, name));
  header.append(row);
  const body = document.createElement("tbody");
  for (const cells of rows) {
    const tr = document.createElement("tr");
    cells.forEach((text, n) => tr.append(el(n === 0 ? "th" : "td", n === 0 ? { scope: "row" } : {}, text)));
    body.append(tr);
  }
  table.replaceChildren(table.querySelector("caption") ?? "", header, body);
}
