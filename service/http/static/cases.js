// The woonoverlast view: per wijk and housing type, the cases open now (large) and those
// registered and closed in the chosen period (small), from GET /v1/cases, looked at again
// every two seconds and at once when the live stream reports a change. Readers who are not
// operators get no small numbers: such a cell shows "–", and the legend says why.
"use strict";

const CASES = "woonoverlast";
const CASES_POLL_MS = 2000;
const CASES_SOON_MS = 200;
const casesView = {
  timer: 0, soon: 0, request: 0, rows: [], threshold: null, suppressedRows: 0, suppressed: 0,
  loaded: false,
};

// Built once per choice of the view: the registry's housing types are the columns.
function buildCasesGrid() {
  const table = document.getElementById("grid");
  const housing = state.registries.housing;
  table.replaceChildren();
  state.tds.clear();
  state.totalsTds.clear();
  table.dataset.kind = CASES;
  const head = el("thead");
  const headRow = el("tr");
  headRow.append(el("th", { scope: "col", class: "corner" }, "Wijk"));
  for (const type of housing) headRow.append(el("th", { scope: "col", title: type.description }, type.name));
  headRow.append(el("th", { scope: "col", class: "total" }, "Totaal"));
  head.append(headRow);
  const body = el("tbody");
  for (const wijk of state.registries.wijken) {
    const row = el("tr");
    row.append(el("th", { scope: "row", title: wijk.description }, wijk.name));
    for (const type of housing) {
      const td = numberCell("td", { "data-wijk": wijk.code, "data-housing": type.code });
      state.tds.set(`${type.code}|${wijk.code}`, td);
      row.append(td.cell);
    }
    const total = numberCell("td", { class: "total", "data-wijk": wijk.code, "data-total": "wijk" });
    state.totalsTds.set(`row|${wijk.code}`, total);
    row.append(total.cell);
    body.append(row);
  }
  const foot = el("tfoot");
  const footRow = el("tr");
  footRow.append(el("th", { scope: "row" }, "Totaal"));
  for (const type of housing) {
    const total = numberCell("td", { "data-housing": type.code, "data-total": "housing" });
    state.totalsTds.set(`col|${type.code}`, total);
    footRow.append(total.cell);
  }
  const all = numberCell("td", { class: "total", "data-total": "all" });
  state.totalsTds.set("all", all);
  footRow.append(all.cell);
  foot.append(footRow);
  table.append(head, body, foot);
  const legend = document.getElementById("legend");
  legend.hidden = false;
  legend.textContent = "In elke cel: open zaken nu; klein: geregistreerd · afgesloten in de periode.";
  fitHeaders();
}

function casesStart() {
  casesStop();
  casesView.loaded = false;
  loadCases().catch(() => {});
  casesView.timer = setInterval(() => loadCases().catch(() => {}), CASES_POLL_MS);
}

function casesStop() {
  clearInterval(casesView.timer);
  clearTimeout(casesView.soon);
  casesView.timer = 0;
  casesView.soon = 0;
  casesView.request += 1; // an answer on its way is for a view no longer shown
}

// The live stream says something changed (operators' streams carry case cells): look now.
function casesSoon() {
  if (casesView.soon) return;
  casesView.soon = setTimeout(() => {
    casesView.soon = 0;
    loadCases().catch(() => {});
  }, CASES_SOON_MS);
}

async function loadCases() {
  const request = ++casesView.request;
  const response = await fetch(`/v1/cases?${new URLSearchParams({ scope: state.scope, period: state.period })}`);
  if (!response.ok) throw new Error(`/v1/cases answered ${response.status}`);
  const body = await response.json();
  if (request !== casesView.request || state.kind !== CASES) return;
  casesView.rows = body.rows;
  casesView.threshold = body.threshold;
  casesView.suppressedRows = body.suppressed_rows;
  renderCases(casesView.loaded);
  casesView.loaded = true;
}

function caseFigures() {
  return { open: 0, registered: 0, closed: 0 };
}

function renderCases(flash) {
  const perCell = new Map();
  const perWijk = new Map();
  const perHousing = new Map();
  const all = caseFigures();
  for (const row of casesView.rows) {
    for (const [map, key] of [[perCell, `${row.housing}|${row.wijk}`], [perWijk, row.wijk],
      [perHousing, row.housing]]) {
      if (!map.has(key)) map.set(key, caseFigures());
      const into = map.get(key);
      into.open += row.open;
      into.registered += row.registered;
      into.closed += row.closed;
    }
    all.open += row.open;
    all.registered += row.registered;
    all.closed += row.closed;
  }
  const hidden = casesView.threshold !== null;
  for (const [key, td] of state.tds) showCase(td, perCell.get(key), hidden, flash);
  for (const [key, td] of state.totalsTds) {
    const [side, code] = key.split("|");
    const source = side === "row" ? perWijk : perHousing;
    showCase(td, key === "all" ? all : source.get(code), hidden, flash);
  }
  document.getElementById("total").textContent = group(all.open);
  casesView.suppressed = casesView.threshold === null ? 0 : casesView.suppressedRows;
  document.getElementById("fireworks").hidden = true;
  document.getElementById("change").hidden = true;
  const legend = document.getElementById("legend");
  legend.textContent = "In elke cel: open zaken nu; klein: geregistreerd · afgesloten in de periode."
    + (hidden ? ` – : geen zaken, of minder dan ${casesView.threshold} (kleine aantallen worden niet`
      + ` getoond; de totalen tellen alleen wat getoond wordt${casesView.suppressed
        ? `, ${casesView.suppressed} ${casesView.suppressed === 1 ? "rij" : "rijen"} niet` : ""}).` : "");
  const counts = new Map([...perWijk].map(([wijk, f]) => [wijk, { count: f.open, amount_cents: 0 }]));
  drawMap(state.registries.wijken, counts, CASES, hidden ? "–" : null);
  state.all = { count: all.open, amount_cents: 0, illegal_fireworks_cents: 0 };
  if (flash) announceSoon();
}

// A cell without a row: no cases, or (for readers) too few to show.
function showCase(td, figures, hidden, flash) {
  const main = figures ? group(figures.open) : hidden ? "–" : "0";
  const sub = figures && (figures.registered || figures.closed)
    ? `+${group(figures.registered)} · −${group(figures.closed)}` : "";
  td.cell.classList.toggle("zero", !figures || figures.open === 0);
  td.cell.dataset.open = figures ? String(figures.open) : "";
  setText(td.main, main, flash);
  setText(td.sub, sub, false);
}
