// The operations dashboard: live counts per wijk and category from /v1/live/stream.
// No build step and no dependencies: the page must work on a wall screen without internet.
"use strict";

const DAMAGE = "jaarwisselingsschade";
const SCOPES = ["day", "week", "month", "year"];
const KINDS = ["handhavingsmelding", "cameraincident", DAMAGE, "woonoverlast"];
const LAG_POLL_MS = 5000;
const DAMAGE_LEGEND =
  "In elke cel: schadebedrag; klein: aantal schadeposten · aandeel door illegaal vuurwerk.";
const RECONNECT_MS = 2000;
const ANNOUNCE_MS = 10000; // a screen reader hears the figures at most this often
const ANNOUNCE_GATHER_MS = 1500; // ... and a burst of changes as one announcement
const KIND_NAMES = { handhavingsmelding: "Handhavingsmeldingen", cameraincident:
  "Cameraincidenten", [DAMAGE]: "Jaarwisselingsschade", woonoverlast: "Open woonoverlastzaken" };
const MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
  "september", "oktober", "november", "december"];

const state = {
  registries: null,
  problems: [], // what /readyz says an operator must look at, in Dutch
  scope: "day",
  kind: "handhavingsmelding",
  period: "",
  stream: null,
  cells: new Map(), // "kind|category|wijk" → row of the streamed scope and period
  tds: new Map(), // "category|wijk" → { main, sub } of the grid on screen
  totalsTds: new Map(), // "row|wijk", "col|category", "all" → { main, sub }
  base: null, // last year's figure to compare the year-to-date with
  baseRequest: 0,
  all: null, // the figures of the whole grid, as last drawn
  announced: { view: "", value: null, at: 0, timer: 0, connection: "" },
};

// ---- Dutch number formats (done by hand: the same output on every browser and locale) ----

function group(n) {
  const digits = String(Math.abs(Math.round(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return (n < 0 ? "−" : "") + digits;
}

function euros(cents) {
  return "€\u00a0" + group(cents / 100);
}

function percent(value, decimals) {
  return value.toFixed(decimals).replace(".", ",") + "%";
}

function share(part, whole) {
  return whole > 0 ? percent((100 * part) / whole, 0) : "–";
}

// ---- periods, in local time of Zoetermeer like the service's own ----

function today() {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Europe/Amsterdam", year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(new Date());
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { year: get("year"), month: get("month"), day: get("day") };
}

function pad(n) {
  return String(n).padStart(2, "0");
}

function isoWeek({ year, month, day }) {
  const date = new Date(Date.UTC(year, month - 1, day));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday); // the week's Thursday decides its year
  const weekYear = date.getUTCFullYear();
  const week = Math.ceil(((date - Date.UTC(weekYear, 0, 1)) / 86400000 + 1) / 7);
  return { weekYear, week };
}

// A damage item's year is its jaarwisseling (31 December Y); until the next one begins in
// December, "this year" for damage means the most recent one.
function damageYear({ year, month }) {
  return month === 12 ? year : year - 1;
}

function periodOf(scope, kind, date) {
  if (scope === "day") return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
  if (scope === "week") {
    const { weekYear, week } = isoWeek(date);
    return `${weekYear}-W${pad(week)}`;
  }
  if (scope === "month") return `${date.year}-${pad(date.month)}`;
  return String(kind === DAMAGE ? damageYear(date) : date.year);
}

function periodLabel(scope, kind, period, date) {
  if (scope === "day") return `Vandaag, ${date.day} ${MONTHS[date.month - 1]} ${date.year}`;
  if (scope === "week") {
    const [weekYear, week] = period.split("-W");
    return `Week ${Number(week)}, ${weekYear}`;
  }
  if (scope === "month") {
    const name = MONTHS[date.month - 1];
    return `${name[0].toUpperCase()}${name.slice(1)} ${date.year}`;
  }
  if (kind === DAMAGE) return `Jaarwisseling ${period}/${Number(period) + 1}`;
  return `${period} tot en met vandaag`;
}

// ---- the grid ----

function el(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

function numberCell(tag, attributes) {
  const cell = el(tag, { ...attributes, class: `num ${attributes.class || ""}`.trim() });
  const main = el("span", { class: "main" });
  const sub = el("span", { class: "sub" });
  cell.append(main, sub);
  return { cell, main, sub };
}

// Built once per kind (its categories are the columns); afterwards only texts change.
function buildGrid() {
  const table = document.getElementById("grid");
  const categories = state.registries.categories[state.kind];
  const wijken = state.registries.wijken;
  table.replaceChildren();
  state.tds.clear();
  state.totalsTds.clear();
  table.dataset.kind = state.kind;

  const colgroup = el("colgroup");
  colgroup.append(el("col", { class: "wijk-col" }));
  for (let i = 0; i <= categories.length; i += 1) colgroup.append(el("col"));
  const head = el("thead");
  const headRow = el("tr");
  headRow.append(el("th", { scope: "col", class: "corner" }, "Wijk"));
  for (const category of categories) {
    headRow.append(el("th", { scope: "col", title: category.description }, category.name));
  }
  headRow.append(el("th", { scope: "col", class: "total" }, "Totaal"));
  head.append(headRow);

  const body = el("tbody");
  for (const wijk of wijken) {
    const row = el("tr");
    row.append(el("th", { scope: "row", title: wijk.description }, wijk.name));
    for (const category of categories) {
      const td = numberCell("td", { "data-wijk": wijk.code, "data-category": category.code });
      state.tds.set(`${category.code}|${wijk.code}`, td);
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
  for (const category of categories) {
    const total = numberCell("td", { "data-category": category.code, "data-total": "category" });
    state.totalsTds.set(`col|${category.code}`, total);
    footRow.append(total.cell);
  }
  const all = numberCell("td", { class: "total", "data-total": "all" });
  state.totalsTds.set("all", all);
  footRow.append(all.cell);
  foot.append(footRow);

  table.append(colgroup, head, body, foot);
  const legend = document.getElementById("legend");
  legend.hidden = state.kind !== DAMAGE;
  legend.textContent = DAMAGE_LEGEND; // the woonoverlast view writes its own
  fitHeaders();
}

// Names come from the registries, so no fixed size suits them all: shrink each header whose
// longest word overflows its column until it fits, rather than break the word.
function fitHeaders() {
  for (const th of document.querySelectorAll("#grid th")) {
    th.style.fontSize = "";
    const normal = parseFloat(getComputedStyle(th).fontSize);
    for (let scale = 0.95; th.scrollWidth > th.clientWidth && scale >= 0.6; scale -= 0.05) {
      th.style.fontSize = `${normal * scale}px`;
    }
  }
}

function emptyFigures() {
  return { count: 0, amount_cents: 0, illegal_fireworks_cents: 0 };
}

function add(into, row) {
  into.count += row.count;
  into.amount_cents += row.amount_cents;
  into.illegal_fireworks_cents += row.illegal_fireworks_cents;
}

function setText(node, text, flash) {
  if (node.textContent === text) return;
  const before = node.textContent;
  node.textContent = text;
  if (flash && before !== "") {
    const cell = node.closest("td");
    cell.classList.remove("bump");
    void cell.offsetWidth; // restart the animation
    cell.classList.add("bump");
  }
}

function show(td, figures, flash) {
  const damage = state.kind === DAMAGE;
  const main = damage ? euros(figures.amount_cents) : group(figures.count);
  const sub = damage && figures.count > 0
    ? `${group(figures.count)} · ${share(figures.illegal_fireworks_cents, figures.amount_cents)}`
    : "";
  td.cell.classList.toggle("zero", figures.count === 0);
  setText(td.main, main, flash);
  setText(td.sub, sub, false);
}

function render(flash) {
  if (state.kind === CASES) { // cases.js draws this view from GET /v1/cases
    if (flash) casesSoon();
    return;
  }
  const perCell = new Map();
  const perWijk = new Map();
  const perCategory = new Map();
  const all = emptyFigures();
  for (const row of state.cells.values()) {
    if (row.kind !== state.kind) continue;
    for (const [map, key] of [[perCell, `${row.category}|${row.wijk}`],
      [perWijk, row.wijk], [perCategory, row.category]]) {
      if (!map.has(key)) map.set(key, emptyFigures());
      add(map.get(key), row);
    }
    add(all, row);
  }
  for (const [key, td] of state.tds) show(td, perCell.get(key) || emptyFigures(), flash);
  for (const [key, td] of state.totalsTds) {
    const [side, code] = key.split("|");
    const source = side === "row" ? perWijk : perCategory;
    show(td, key === "all" ? all : source.get(code) || emptyFigures(), flash);
  }
  state.all = all;
  renderSummary(all);
  if (state.registries) drawMap(state.registries.wijken, perWijk, state.kind);
  if (flash) announceSoon();
}

// ---- what a screen reader hears: live changes of the figures, gathered, at most one
// announcement per ANNOUNCE_MS; a switch of kind or period starts afresh, unannounced ----

function announce(text) {
  document.getElementById("announce").textContent = text;
  state.announced.at = Date.now();
}

function announceSoon() {
  const said = state.announced;
  if (said.timer) return;
  const wait = Math.max(ANNOUNCE_GATHER_MS, said.at + ANNOUNCE_MS - Date.now());
  said.timer = setTimeout(() => {
    said.timer = 0;
    const view = `${state.kind}|${state.scope}|${state.period}`;
    const damage = state.kind === DAMAGE;
    const value = damage ? state.all.amount_cents : state.all.count;
    const before = said.view === view ? said.value : null;
    said.view = view;
    said.value = value;
    if (before === value) return;
    const format = damage ? euros : group;
    const label = document.getElementById("period-label").textContent;
    const sign = value > before ? "+" : "−";
    const change = before === null ? "" : ` (${sign}${format(Math.abs(value - before))})`;
    announce(`${KIND_NAMES[state.kind]}, ${label.toLowerCase()}: ${format(value)}${change}`);
  }, wait);
}

function renderSummary(all) {
  const damage = state.kind === DAMAGE;
  document.getElementById("total").textContent = damage
    ? euros(all.amount_cents)
    : group(all.count);
  const fireworks = document.getElementById("fireworks");
  fireworks.hidden = !damage;
  if (damage) {
    document.getElementById("fireworks-value").textContent =
      `${euros(all.illegal_fireworks_cents)} (${share(all.illegal_fireworks_cents, all.amount_cents)})`;
  }
  renderChange(all);
}

function renderChange(all) {
  const box = document.getElementById("change");
  const base = state.base;
  box.hidden = !(state.scope === "year" && base && base.kind === state.kind);
  if (box.hidden) return;
  const field = state.kind === DAMAGE ? "amount_cents" : "count";
  const format = state.kind === DAMAGE ? euros : group;
  const before = base.figures[field];
  document.getElementById("change-label").textContent = `t.o.v. ${base.label} (${format(before)})`;
  const value = document.getElementById("change-value");
  if (before === 0) {
    value.textContent = "geen vergelijking: toen 0";
    value.dataset.sign = "none";
    return;
  }
  const change = (100 * (all[field] - before)) / before;
  value.textContent = (change > 0 ? "+" : change < 0 ? "−" : "±") + percent(Math.abs(change), 1);
  value.dataset.sign = change > 0 ? "up" : change < 0 ? "down" : "";
}

// ---- last year, to compare the year-to-date with ----

async function live(params) {
  const response = await fetch(`/v1/live?${new URLSearchParams(params)}`);
  if (!response.ok) throw new Error(`/v1/live answered ${response.status}`);
  return response.json();
}

// Counts: last year up to the same day (whole months, then the days of this month).
// Damage: the previous jaarwisseling as a whole (its items fall in December and January).
async function loadBase() {
  const request = ++state.baseRequest;
  const { kind } = state;
  const date = today();
  let label;
  let queries;
  if (kind === DAMAGE) {
    const year = damageYear(date) - 1;
    label = `jaarwisseling ${year}/${year + 1}`;
    queries = [{ scope: "year", period: String(year), kind }];
  } else {
    const year = date.year - 1;
    label = `vorig jaar t/m ${date.day} ${MONTHS[date.month - 1]}`;
    queries = [];
    for (let month = 1; month < date.month; month += 1) {
      queries.push({ scope: "month", period: `${year}-${pad(month)}`, kind });
    }
    for (let day = 1; day <= date.day; day += 1) {
      queries.push({ scope: "day", period: `${year}-${pad(date.month)}-${pad(day)}`, kind });
    }
  }
  const answers = await Promise.all(queries.map(live));
  if (request !== state.baseRequest) return; // the user switched meanwhile
  const figures = emptyFigures();
  for (const answer of answers) for (const row of answer.rows) add(figures, row);
  state.base = { kind, label, figures };
  render(false);
}

// ---- the live stream and its state ----

function setStatus(name, text, detail = "") {
  announceConnection(name, text);
  const status = document.getElementById("status");
  status.dataset.state = name;
  status.title = detail;
  document.getElementById("status-text").textContent = text;
  document.body.classList.toggle("stale", name === "disconnected");
}

// Heard when the connection changes (lost, back, needing an operator), not with every move of
// the lag; the first connection is not announced.
function announceConnection(name, text) {
  if (name === "connecting") return;
  const connection = name === "behind" ? "live" : name;
  const before = state.announced.connection;
  state.announced.connection = connection;
  if (connection === before || (!before && connection === "live")) return;
  announce(connection === "live" ? "Verbonden: de cijfers zijn live." : text);
}

function showLag(asOf) {
  if (!state.stream || state.stream.readyState !== EventSource.OPEN) return;
  if (state.problems.length) {
    // The counts still arrive, but the pipeline behind them needs an operator: say so first.
    const more = state.problems.length > 1 ? ` (+${state.problems.length - 1})` : "";
    setStatus("degraded", `Let op · ${state.problems[0]}${more}`, state.problems.join("\n"));
    return;
  }
  const behind = asOf.events_behind;
  if (behind === null || behind === undefined) {
    setStatus("behind", "Live · achterstand onbekend", asOf.error || "");
  } else if (behind === 0) {
    setStatus("live", "Live · bij");
  } else {
    setStatus("behind", `Live · ${group(behind)} ${behind === 1 ? "gebeurtenis" : "gebeurtenissen"} achter`);
  }
}

function received(event, replace) {
  const body = JSON.parse(event.data);
  if (body.scope !== state.scope || body.period !== state.period) return;
  if (replace) state.cells.clear();
  for (const row of body.rows) state.cells.set(`${row.kind}|${row.category}|${row.wijk}`, row);
  render(!replace);
  showLag(body.as_of);
  if (!replace) trendsFor(state.kind); // today's point moves too

}

function showPeriodLabel(date) {
  const label = periodLabel(state.scope, state.kind, state.period, date);
  document.getElementById("period-label").textContent =
    state.kind === CASES ? `Open zaken nu · in de periode: ${label.toLowerCase()}` : label;
}

function connect() {
  if (state.stream) state.stream.close();
  const date = today();
  state.period = periodOf(state.scope, state.kind, date);
  showPeriodLabel(date);
  const query = new URLSearchParams({ scope: state.scope, period: state.period });
  const stream = new EventSource(`/v1/live/stream?${query}`);
  state.stream = stream;
  setStatus("connecting", "Verbinden…");
  // The snapshot comes first on every (re)connection and refreshes everything.
  stream.addEventListener("snapshot", (event) => {
    received(event, true);
    if (state.scope === "year") loadBase().catch(() => {});
  });
  stream.addEventListener("rows", (event) => received(event, false));
  stream.addEventListener("error", () => {
    if (stream !== state.stream) return;
    setStatus("disconnected", "Verbinding verbroken · opnieuw verbinden…");
    // EventSource retries by itself unless the server answered with an error; then we do,
    // after signing in again if the session has ended.
    if (stream.readyState === EventSource.CLOSED) setTimeout(async () => {
      if (stream !== state.stream) return;
      if (!(await signedIn().catch(() => true))) await signIn();
      connect();
    }, RECONNECT_MS);
  });
}

async function pollLag() {
  if (!state.stream || state.stream.readyState !== EventSource.OPEN) return;
  // The damage per jaarwisseling comes from the store, which the materialiser fills shortly
  // after the stream shows a change: look again.
  if (state.kind === DAMAGE) trendsFor(state.kind);
  try {
    const ready = await fetch("/readyz");
    state.problems = (await ready.json()).pipeline?.problems ?? [];
    const answer = await live({ scope: state.scope, period: state.period, kind: state.kind });
    showLag(answer.as_of);
  } catch {
    // the stream's own error event reports a lost connection
  }
}

// ---- switches, kept in the address so that a wall screen can be set up with a link ----

function choose(scope, kind) {
  const periodChanges = scope !== state.scope || periodOf(scope, kind, today()) !== state.period;
  const kindChanges = kind !== state.kind;
  state.scope = scope;
  state.kind = kind;
  for (const button of document.querySelectorAll("[data-scope]")) {
    button.setAttribute("aria-pressed", String(button.dataset.scope === scope));
  }
  for (const button of document.querySelectorAll("[data-kind]")) {
    button.setAttribute("aria-pressed", String(button.dataset.kind === kind));
  }
  history.replaceState(null, "", `?${new URLSearchParams({ scope, kind })}`);
  trendsFor(kind);
  if (kindChanges || !state.tds.size) (kind === CASES ? buildCasesGrid : buildGrid)();
  state.base = null;
  if (periodChanges || !state.stream) {
    state.cells.clear();
    connect();
  } else if (scope === "year") {
    loadBase().catch(() => {});
  }
  if (kindChanges) showPeriodLabel(today());
  if (kind === CASES) casesStart();
  else casesStop();
  render(false);
}

// ---- sign-in: at the municipality's identity provider, or with a key; then a session ----

// Why the identity provider's sign-in did not succeed (the API's `signin_error`).
const PROVIDER_ERRORS = {
  denied: "Het inloggen is afgebroken of geweigerd.",
  expired: "Het inloggen duurde te lang of is niet afgemaakt; probeer het opnieuw.",
  refused: "De gemeente kon u niet aanmelden; probeer het opnieuw.",
  "no-role": "Uw account heeft geen rol voor Wijkwacht; vraag die aan bij de beheerder.",
  unavailable: "Inloggen via de gemeente lukt nu niet; probeer het zo opnieuw.",
};

// Offers the identity provider's sign-in when the API has one: the API sends the browser
// there and back (PKCE), and sets the session cookie; the page never holds a token.
async function offerProvider() {
  const asked = new URLSearchParams(location.search);
  const failed = asked.get("signin_error");
  asked.delete("signin_error");
  const here = location.pathname + (asked.toString() ? `?${asked}` : "");
  if (failed) history.replaceState(null, "", here);
  document.getElementById("signin-provider-error").textContent =
    PROVIDER_ERRORS[failed] || "";
  try {
    const methods = await (await fetch("/auth/methods")).json();
    if (!methods.provider_login) return false;
    const link = document.getElementById("signin-provider-link");
    link.href = `${methods.provider_login}?next=${encodeURIComponent(here)}`;
    document.getElementById("signin-provider").hidden = false;
    link.focus();
    return true;
  } catch {
    return false;
  }
}

// Shows the sign-in until a key is accepted or the person comes back from the identity
// provider; the API then sets an HttpOnly session cookie that every request and the live
// stream carry by themselves.
function signIn() {
  const section = document.getElementById("signin");
  const form = document.getElementById("signin-form");
  const input = document.getElementById("signin-key");
  const error = document.getElementById("signin-error");
  section.hidden = false;
  document.querySelector("main").hidden = true;
  setStatus("disconnected", "Niet ingelogd");
  offerProvider().then((offered) => {
    if (!offered) input.focus();
  });
  return new Promise((resolve) => {
    form.onsubmit = async (event) => {
      event.preventDefault();
      error.textContent = "";
      const response = await fetch("/auth/session", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ key: input.value }),
      });
      if (response.status === 204) {
        input.value = "";
        section.hidden = true;
        document.querySelector("main").hidden = false;
        document.getElementById("signout").hidden = false;
        resolve();
      } else {
        error.textContent = response.status === 403
          ? "Deze sleutel mag de cijfers niet lezen."
          : "Onbekende sleutel.";
        input.select();
      }
    };
  });
}

async function signedIn() {
  const response = await fetch("/auth/session");
  return response.ok;
}

async function loadRegistries() {
  for (;;) {
    try {
      const response = await fetch("/v1/registries");
      if (response.ok) return await response.json();
      if (response.status === 401) {
        await signIn();
        continue;
      }
    } catch {
      // the API is not up yet: try again
    }
    setStatus("disconnected", "Verbinding verbroken · opnieuw verbinden…");
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

// ---- light or dark: the system's setting, until the switch says otherwise (kept) ----

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  document.getElementById("theme").setAttribute("aria-pressed", String(theme === "light"));
}

function setUpTheme() {
  const system = matchMedia("(prefers-color-scheme: light)");
  const chosen = () => localStorage.getItem("wijkwacht-theme");
  applyTheme(chosen() ?? (system.matches ? "light" : "dark"));
  system.addEventListener("change", () => {
    if (!chosen()) applyTheme(system.matches ? "light" : "dark");
  });
  document.getElementById("theme").addEventListener("click", () => {
    const theme = document.documentElement.dataset.theme === "light" ? "dark" : "light";
    localStorage.setItem("wijkwacht-theme", theme);
    applyTheme(theme);
  });
}

setUpTheme(); // before signing in: the sign-in form is themed too

async function start() {
  document.getElementById("signout").addEventListener("click", async () => {
    await fetch("/auth/session", { method: "DELETE" });
    location.reload();
  });
  state.registries = await loadRegistries();
  document.getElementById("signout").hidden = false;
  const asked = new URLSearchParams(location.search);
  const scope = SCOPES.includes(asked.get("scope")) ? asked.get("scope") : state.scope;
  const kind = KINDS.includes(asked.get("kind")) ? asked.get("kind") : state.kind;
  for (const button of document.querySelectorAll("[data-scope]")) {
    button.addEventListener("click", () => choose(button.dataset.scope, state.kind));
  }
  for (const button of document.querySelectorAll("[data-kind]")) {
    button.addEventListener("click", () => choose(state.scope, button.dataset.kind));
  }
  choose(scope, kind);
  let resizing = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(fitHeaders, 200);
  });
  setInterval(pollLag, LAG_POLL_MS);
  // At midnight (and on New Year) the current period moves on: follow it.
  setInterval(() => {
    if (periodOf(state.scope, state.kind, today()) !== state.period) choose(state.scope, state.kind);
  }, 30000);
}

start();
