"""Store cells that reproduce the figures of Zoetermeer's 2022 annual report (and 2020–2021),
for the report tests of every tier."""

from __future__ import annotations

from storage.repository import YearCell

E, C, D = "handhavingsmelding", "cameraincident", "jaarwisselingsschade"

# (year, kind, category, wijk, count, amount_cents, illegal_fireworks_cents)
_ROWS: list[tuple[int, str, str, str, int, int, int]] = [
    (2020, E, "afval", "dorp", 7_158, 0, 0),
    (2021, E, "afval", "buytenwegh-de-leyens", 2_400, 0, 0),
    (2021, E, "parkeren", "stadshart", 3_100, 0, 0),
    (2021, E, "jeugdoverlast", "oosterheem", 1_111, 0, 0),
    (2021, E, "woonoverlast", "palenstein", 2_000, 0, 0),
    (2022, E, "afval", "buytenwegh-de-leyens", 2_500, 0, 0),
    (2022, E, "parkeren", "stadshart", 3_000, 0, 0),
    (2022, E, "jeugdoverlast", "oosterheem", 1_489, 0, 0),
    (2022, E, "woonoverlast", "palenstein", 2_000, 0, 0),
    (2021, C, "geweld", "stadshart", 100, 0, 0),
    (2021, C, "vernieling", "buytenwegh-de-leyens", 50, 0, 0),
    (2021, C, "overlast", "palenstein", 8, 0, 0),
    (2022, C, "geweld", "stadshart", 120, 0, 0),
    (2022, C, "vernieling", "buytenwegh-de-leyens", 45, 0, 0),
    (2022, C, "overlast", "oosterheem", 12, 0, 0),
    # New Year 2021→2022: € 116.331,00, of which € 46.532,40 (40 %, modelled) illegal fireworks.
    (2021, D, "verharding", "stadshart", 40, 4_000_000, 1_800_000),
    (2021, D, "afvalbakken", "seghwaert", 60, 3_000_000, 1_500_000),
    (2021, D, "gebouwen", "palenstein", 5, 2_500_000, 1_000_000),
    (2021, D, "speelvoorzieningen", "oosterheem", 12, 2_133_100, 353_240),
    # New Year 2022→2023: € 69.854,00, of which € 23.750,36 (34,0 %) illegal fireworks.
    (2022, D, "verharding", "stadshart", 30, 2_150_000, 900_000),
    (2022, D, "afvalbakken", "seghwaert", 45, 1_480_000, 700_000),
    (2022, D, "scholen-kinderopvang", "palenstein", 4, 1_120_000, 500_036),
    (2022, D, "straatmeubilair", "stadshart", 20, 780_000, 275_000),
    (2022, D, "verkeersborden", "oosterheem", 25, 610_000, 0),
    (2022, D, "openbare-verlichting", "seghwaert", 9, 450_000, 0),
    (2022, D, "groen", "buytenwegh-de-leyens", 11, 395_400, 0),
]


H, V, W = "huiselijkgeweld", "huisverbod", "woonoverlast"
_ROWS += [
    # Section 5.1: domestic violence registered, 163 and 254 (+56 %); restraining orders 44, 59.
    (2021, H, "politie", "meerzicht", 100, 0, 0),
    (2021, H, "politie", "oosterheem", 63, 0, 0),
    (2022, H, "politie", "meerzicht", 150, 0, 0),
    (2022, H, "veilig-thuis", "buytenwegh-de-leyens", 104, 0, 0),
    (2021, V, "tijdelijk", "meerzicht", 44, 0, 0),
    (2022, V, "tijdelijk", "oosterheem", 59, 0, 0),
]
A, OWN = "woonoverlast.afgerond", "woonoverlast.afgerond.eigen-jaar"
# (year, kind, category, wijk, housing, count): 2022's 170 cases, 96 closed and 74 open at its
# end (42 corporatie, 20 koop, 12 particuliere huur; Buytenwegh-De Leyens 25 of them); 2021's
# 30 still open at its end were closed in 2022.
_CASE_ROWS: list[tuple[int, str, str, str, str, int]] = [
    (2021, W, "geluid", "meerzicht", "koop", 150),
    (2021, A, "geluid", "meerzicht", "koop", 120),
    (2021, OWN, "geluid", "meerzicht", "koop", 120),
    (2022, A, "geluid", "meerzicht", "koop", 30),
    (2022, W, "geluid", "buytenwegh-de-leyens", "corporatie", 40),
    (2022, W, "vervuiling", "dorp", "corporatie", 30),
    (2022, W, "intimidatie", "palenstein", "koop", 40),
    (2022, W, "geluid", "meerzicht", "particuliere-huur", 60),
    (2022, OWN, "geluid", "buytenwegh-de-leyens", "corporatie", 15),
    (2022, OWN, "vervuiling", "dorp", "corporatie", 13),
    (2022, OWN, "intimidatie", "palenstein", "koop", 20),
    (2022, OWN, "geluid", "meerzicht", "particuliere-huur", 48),
]
_CASE_ROWS += [
    (y, A, c, w, h, n) for y, kind, c, w, h, n in _CASE_ROWS if kind == OWN and y == 2022
]


def published_cells() -> list[YearCell]:
    """The rows above, each split over two input partitions (the store sums partitions)."""
    cells = []
    for offset, (year, kind, category, wijk, count, amount, illegal) in enumerate(_ROWS):
        first = (count // 2, amount // 2, illegal // 2)
        rest = (count - first[0], amount - first[1], illegal - first[2])
        for partition, (c, a, f) in enumerate((first, rest)):
            cells.append(YearCell(partition, kind, category, wijk, year, c, a, f, offset))
    for year, kind, category, wijk, housing, count in _CASE_ROWS:
        cells.append(YearCell(0, kind, category, wijk, year, count, 0, 0, 1, housing))
    return cells
