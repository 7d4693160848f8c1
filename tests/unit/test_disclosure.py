"""Open data's small-number suppression, against a reference table with small cells, and for
any table: nothing published reveals a suppressed count."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.domain.disclosure import Key, across_months, suppress
from service.domain.figures import ZERO, Figures

ROWS: dict[Key, Figures] = {
    ("handhavingsmelding", "afval", "dorp"): Figures(12, 0, 0),
    ("handhavingsmelding", "afval", "rokkeveen"): Figures(4, 0, 0),
    ("handhavingsmelding", "horeca", "dorp"): Figures(5, 0, 0),
    ("handhavingsmelding", "horeca", "rokkeveen"): Figures(0, 0, 0),
    ("jaarwisselingsschade", "verharding", "dorp"): Figures(1, 90_000, 90_000),
    ("jaarwisselingsschade", "groen", "dorp"): Figures(7, 12_000, 3_000),
}


def test_a_reference_table_with_small_cells() -> None:
    table = suppress(ROWS, threshold=5)
    shown = {cell.key: cell.figures for cell in table.cells}
    assert shown == {
        ("handhavingsmelding", "afval", "dorp"): Figures(12, 0, 0),
        ("handhavingsmelding", "afval", "rokkeveen"): None,  # 4 < 5
        ("handhavingsmelding", "horeca", "dorp"): Figures(5, 0, 0),  # 5 is shown
        ("jaarwisselingsschade", "groen", "dorp"): Figures(7, 12_000, 3_000),
        ("jaarwisselingsschade", "verharding", "dorp"): None,  # and its amounts with it
    }  # the zero row is left out
    assert table.published == {
        "handhavingsmelding": Figures(17, 0, 0),  # 12 + 5, not 21
        "jaarwisselingsschade": Figures(7, 12_000, 3_000),
    }
    assert table.suppressed == {"handhavingsmelding": 1, "jaarwisselingsschade": 1}
    assert [cell.key for cell in table.cells] == sorted(shown)


keys = st.tuples(
    st.sampled_from(["handhavingsmelding", "cameraincident"]),
    st.sampled_from(["afval", "horeca", "geweld"]),
    st.sampled_from(["dorp", "rokkeveen", "stadshart", "palenstein"]),
)
figures = st.builds(Figures, st.integers(0, 30), st.integers(0, 10**6), st.integers(0, 10**6))


@given(rows=st.dictionaries(keys, figures), threshold=st.integers(1, 12))
def test_nothing_published_reveals_a_suppressed_count(
    rows: dict[Key, Figures], threshold: int
) -> None:
    table = suppress(rows, threshold)
    for cell in table.cells:
        count = rows[cell.key].count
        assert count > 0
        assert (cell.figures is None) == (count < threshold)
        assert cell.figures is None or cell.figures == rows[cell.key]
    for kind, total in table.published.items():
        shown = [c.figures for c in table.cells if c.key[0] == kind and c.figures is not None]
        assert total == sum(shown, Figures(0, 0, 0))  # the sum of published rows only
        hidden = [c for c in table.cells if c.key[0] == kind and c.figures is None]
        assert table.suppressed[kind] == len(hidden)


@given(
    months=st.dictionaries(st.integers(1, 12), st.dictionaries(keys, figures), min_size=1),
    threshold=st.integers(1, 12),
)
def test_a_year_less_the_months_shown_reveals_no_small_month(
    months: dict[int, dict[Key, Figures]], threshold: int
) -> None:
    """Per cell, what the month answers hide together (the year's count less what they show)
    is nothing or at least the threshold; and only what must be hidden is."""
    hidden = across_months(months, threshold)
    tables = {m: suppress(rows, threshold, hidden[m]) for m, rows in months.items()}
    for key in {k for rows in months.values() for k in rows}:
        year = sum(rows[key].count for rows in months.values() if key in rows)
        shown = sum(
            c.figures.count
            for table in tables.values()
            for c in table.cells
            if c.key == key and c.figures is not None
        )
        # (a year that is small as a whole is suppressed in the year's answer as well)
        assert year < threshold or year - shown == 0 or year - shown >= threshold
        small = [m for m, rows in months.items() if 0 < rows.get(key, ZERO).count < threshold]
        if not small:  # nothing small: nothing hidden besides
            assert all(key not in hidden[m] for m in months)


def test_small_sensitive_rows_are_hidden_and_so_is_what_would_give_them_away() -> None:
    from service.domain.disclosure import hidden

    rows = {"dorp": (3,), "meerzicht": (40,), "palenstein": (12,), "rokkeveen": (0,)}
    # 3 alone beside the total would be 55 - 40 - 12: the smallest row shown goes too.
    assert hidden(rows, 5) == {"dorp", "palenstein"}
    # b holds 2 of the second figure, and only c holds more of it: c goes, not a.
    assert hidden({"a": (7, 0), "b": (9, 2), "c": (30, 12)}, 5) == {"b", "c"}
    assert hidden({"a": (5,), "b": (0,)}, 5) == set()
    assert hidden({"a": (4,)}, 5) == {"a"}  # nothing else to hide: a total says it anyway
