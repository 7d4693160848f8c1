"""Dutch-style number formats shared by the report, `wijkwacht watch` and the health
messages: counts with a dot per thousand, money from integer cents, never through a float."""

from __future__ import annotations


def count(value: int) -> str:
    """8989 → '8.989' (Dutch thousands separator)."""
    return f"{value:,}".replace(",", ".")


def signed_count(value: int | None) -> str:
    if value is None:
        return "-"
    return ("+" if value > 0 else "-" if value < 0 else "") + count(abs(value))


def euros(cents: int) -> str:
    """6985400 → '€ 69.854,00'; from integer cents, never through a float."""
    whole, rest = divmod(abs(cents), 100)
    return ("-" if cents < 0 else "") + f"€ {count(whole)},{rest:02d}"


def signed_euros(cents: int | None) -> str:
    if cents is None:
        return "-"
    return ("+" if cents > 0 else "-" if cents < 0 else "") + euros(abs(cents))


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %".replace(".", ",")


def signed_percent(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} %".replace(".", ",")


def points(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f} pp".replace(".", ",")


def whole_euros(cents: int) -> str:
    """€ 69.854: whole euros (rounded half up, in integers) for a glance at a screen."""
    return "€ " + count((cents + 50) // 100)
