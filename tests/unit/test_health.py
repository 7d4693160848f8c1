"""The pipeline's health rules: when a lag counts as growing, and the problems named."""

from __future__ import annotations

from service.read.health import GROWING_SECONDS, Pipeline, lag_growing


def test_a_lag_grows_when_it_never_shrank_for_the_whole_window() -> None:
    now = 100.0
    rising = [(now - GROWING_SECONDS + s, 10 * s) for s in range(0, 31, 3)]
    assert lag_growing(rising, now)
    dipped = [*rising[:5], (rising[5][0], 0), *rising[6:]]
    assert not lag_growing(dipped, now)  # the workers caught up once: not stuck
    flat = [(t, 50) for t, _ in rising]
    assert not lag_growing(flat, now)  # steady under load
    short = [(now - 5 + s, s) for s in range(6)]
    assert not lag_growing(short, now)  # too short to say


def test_problems_name_what_an_operator_must_look_at() -> None:
    assert Pipeline(workers=2, materialisers=2, events_behind=40, store_behind=7).problems() == []
    stuck = Pipeline(workers=0, materialisers=0, store_behind=12_345, quarantined_rows=2)
    assert stuck.problems() == [
        "Verwerking staat stil: er draait geen worker",
        "Opslag staat stil: 12.345 wijzigingen niet opgeslagen",
        "2 rijen in quarantaine: de opslag weigerde ze",
    ]
    unknown = Pipeline()  # nothing measured (Kafka away): /readyz says that by its checks
    assert unknown.problems() == []
