// The map of the wijken: a schematic tile per wijk (its place from the registry's `tile`),
// shaded by the figure the grid shows (count, or amount for New Year damage), with the number
// written in the tile, so that colour never carries the meaning alone. Each tile takes the
// keyboard's focus and says its wijk and figure; a table beside it says the same.
"use strict";

const TILE = 100;
const SHADES = 5; // 0 for none, then four steps up to the largest wijk

function shadeOf(value, top) {
  if (!value) return 0;
  return Math.min(SHADES - 1, 1 + Math.floor(((value - 1) / Math.max(top, 1)) * (SHADES - 1)));
}

// `missing`: what a wijk without figures says ("–" where small numbers are not shown).
function drawMap(wijken, perWijk, kind, missing = null) {
  const chart = document.getElementById("wijkmap");
  const placed = wijken.filter((w) => Array.isArray(w.tile));
  if (!placed.length) return;
  const columns = Math.max(...placed.map((w) => w.tile[0])) + 1;
  const rows = Math.max(...placed.map((w) => w.tile[1])) + 1;
  chart.setAttribute("viewBox", `0 0 ${columns * TILE} ${rows * TILE}`);
  const damage = kind === "jaarwisselingsschade";
  const value = (code) => {
    const figures = perWijk.get(code);
    return figures ? (damage ? figures.amount_cents : figures.count) : 0;
  };
  const text = (code) => {
    if (missing !== null && !perWijk.has(code)) return missing;
    return damage ? euros(value(code)) : group(value(code));
  };
  const top = Math.max(0, ...placed.map((w) => value(w.code)));
  const tiles = new Map([...chart.querySelectorAll("g.tile")].map((g) => [g.dataset.wijk, g]));
  for (const wijk of placed) {
    let tile = tiles.get(wijk.code);
    if (!tile) {
      tile = svgNode("g", { class: "tile", tabindex: "0", role: "img", "data-wijk": wijk.code });
      const [x, y] = [wijk.tile[0] * TILE, wijk.tile[1] * TILE];
      tile.append(
        svgNode("rect", { x: x + 3, y: y + 3, width: TILE - 6, height: TILE - 6, rx: 6 }),
        nameOf(wijk.name, x, y),
        svgNode("text", { x: x + TILE / 2, y: y + 72, class: "value" }),
        svgNode("title"),
      );
      chart.append(tile);
    }
    const said = `${wijk.name}: ${text(wijk.code)}`;
    tile.dataset.value = String(value(wijk.code));
    tile.dataset.shade = String(shadeOf(value(wijk.code), top));
    tile.setAttribute("aria-label", said);
    fit(tile.querySelector("text.value"), text(wijk.code), 6);
    tile.querySelector("title").textContent = said;
  }
  fillTable(
    "map-table",
    [["Wijk", damage ? "Bedrag" : "Aantal"]],
    wijken.map((w) => [w.name, text(w.code)]),
  );
}

// Long names on a small tile: "Buytenwegh-De Leyens" → "Buytenwegh"; a long single word
// ("Bedrijventerreinen") is pressed to the tile's width rather than cut.
function nameOf(name, x, y) {
  const shown = name.length > 14 ? name.split(/[- ]/)[0] : name;
  return fit(svgNode("text", { x: x + TILE / 2, y: y + 34, class: "name" }), shown, 12);
}

// Writes `text`, pressed to the tile's width when it has more than `room` characters.
function fit(node, text, room) {
  node.textContent = text;
  if (text.length > room) {
    node.setAttribute("textLength", TILE - 14);
    node.setAttribute("lengthAdjust", "spacingAndGlyphs");
  } else {
    node.removeAttribute("textLength");
  }
  return node;
}
