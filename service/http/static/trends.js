// Trends: the chosen kind's counts (amounts, for New Year damage) per day over the last eight
// weeks and per week this year against last year, and for New Year damage the amounts per
// jaarwisseling over the years, from GET /v1/series. Redrawn at most twice a second while the
// live stream reports changes. Plain SVG drawn here, nothing fetched from
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
  const damage = kind === "jaarwisselingsschade";
  // The years come from the store: when it is down, the live charts still show.
  const years = damage ? seriesOf(kind, "year").catch(() => null) : null;
  const [days, weeks] = await Promise.all([seriesOf(kind, "day"), seriesOf(kind, "week")]);
  if (request !== trends.request) return; // the kind changed meanwhile
  document.getElementById("trend-years-figure").hidden = !damage;
  if (damage) drawYears((await years)?.series[0].points ?? null, request);
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

// New Year damage per jaarwisseling: a bar per year, its part by illegal fireworks hatched,
// and both figures written above it, so that neither colour nor pattern carries them alone.
function drawYears(points, request) {
  if (request !== trends.request) return;
  const chart = document.getElementById("trend-years");
  const missing = document.getElementById("trend-years-missing");
  missing.hidden = points !== null;
  chart.replaceChildren();
  if (!points) return;
  const step = 4 * BAR_STEP;
  const scale = scaleOf(points.map((p) => p.amount_cents));
  chart.setAttribute("viewBox", `0 0 ${Math.max(points.length, 6) * step} ${CHART_HEIGHT + 14}`);
  const hatch = svgNode("pattern", {
    id: "fireworks-hatch", width: 4, height: 4, patternUnits: "userSpaceOnUse",
    patternTransform: "rotate(45)",
  });
  hatch.append(svgNode("rect", { width: 4, height: 4, class: "hatch-ground" }),
    svgNode("line", { x1: 0, y1: 0, x2: 0, y2: 4, class: "hatch-line" }));
  const defs = svgNode("defs");
  defs.append(hatch);
  chart.append(defs);
  points.forEach((point, n) => {
    const x = n * step + 4;
    const height = Math.max(scale(point.amount_cents), point.amount_cents ? 1 : 0);
    const fireworks = Math.round((height * point.illegal_fireworks_cents) / (point.amount_cents || 1));
    const said = `${yearLabel(point.period)}: ${euros(point.amount_cents)}, waarvan door `
      + `illegaal vuurwerk ${euros(point.illegal_fireworks_cents)} `
      + `(${share(point.illegal_fireworks_cents, point.amount_cents)})`;
    const column = svgNode("g", {
      class: "year", "data-period": point.period, "data-amount": point.amount_cents,
      "data-fireworks": point.illegal_fireworks_cents,
    });
    column.append(
      svgNode("rect", { x, y: CHART_HEIGHT - height, width: step - 8, height, class: "bar" }),
      svgNode("rect", {
        x, y: CHART_HEIGHT - fireworks, width: step - 8, height: fireworks, class: "fireworks",
        fill: "url(#fireworks-hatch)",
      }),
      svgNode("text", { x: x + (step - 8) / 2, y: CHART_HEIGHT - height - 9, class: "amount" },
        point.amount_cents ? euros(point.amount_cents) : ""),
      svgNode("text", { x: x + (step - 8) / 2, y: CHART_HEIGHT - height - 2, class: "share" },
        point.amount_cents ? share(point.illegal_fireworks_cents, point.amount_cents) : ""),
      svgNode("text", { x: x + (step - 8) / 2, y: CHART_HEIGHT + 11, class: "year-label" },
        `${point.period}/${String(Number(point.period) + 1).slice(2)}`),
      svgNode("title", {}, said),
    );
    chart.append(column);
  });
  fillTable(
    "trend-years-table",
    [["Jaarwisseling", "Schade", "Door illegaal vuurwerk", "Aandeel"]],
    points.map((p) => [yearLabel(p.period), euros(p.amount_cents),
      euros(p.illegal_fireworks_cents), share(p.illegal_fireworks_cents, p.amount_cents)]),
  );
}

function yearLabel(period) {
  return `${period}/${Number(period) + 1}`;
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
