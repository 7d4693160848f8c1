"""The kinds of incident and case Wijkwacht counts, and the CloudEvents type that carries each."""

from __future__ import annotations

ENFORCEMENT = "handhavingsmelding"  # an enforcement team's report (handhavingsmelding)
CAMERA = "cameraincident"  # an incident seen on a surveillance camera
DAMAGE = "jaarwisselingsschade"  # an item of New Year damage to municipal property
DOMESTIC = "huiselijkgeweld"  # a case of domestic violence registered (by the police, ...)
RESTRAINING = "huisverbod"  # a temporary restraining order (tijdelijk huisverbod) imposed
CASE = "woonoverlast"  # a woonoverlast case (zaak): registered, given statuses, closed
CASE_STATUS = "woonoverlaststatus"  # not a kind that counts: a status set on such a case
WITHDRAWAL = "intrekking"  # not a kind that counts: the withdrawal of an incident or case

# The annual report's section 5.2, safety in the wijk: incidents in public space.
PLACE_KINDS = (ENFORCEMENT, CAMERA, DAMAGE)
# Its section 5.1, safety in the home: counted incidents, and cases that open and close.
HOME_KINDS = (DOMESTIC, RESTRAINING, CASE)
# Every counted kind, in the order every table, report and screen lists them; each has
# categories of its own in the registries.
KINDS = (*PLACE_KINDS, *HOME_KINDS)
# The kinds of the aggregate cells a case's flows count in (service/domain/cases.py): its own
# kind counts registrations, as an incident's counts occurrences; then closings and reopenings,
# and both once more, suffixed, where the case was registered in the year of the change.
CASE_CLOSED = f"{CASE}.afgerond"
CASE_REOPENED = f"{CASE}.heropend"
OWN_YEAR = ".eigen-jaar"
CASE_CELL_KINDS = (
    CASE,
    CASE_CLOSED,
    CASE_REOPENED,
    CASE_CLOSED + OWN_YEAR,
    CASE_REOPENED + OWN_YEAR,
)
# Sensitive kinds: outside the operator role, small numbers of them are suppressed; and the
# kinds of their aggregate cells.
SENSITIVE = frozenset({DOMESTIC, RESTRAINING, CASE})
SENSITIVE_CELL_KINDS = SENSITIVE | frozenset(CASE_CELL_KINDS)
# A restraining order has no categories of its own: it counts under this one.
RESTRAINING_CATEGORY = "tijdelijk"
# Their names as Dutch screens show them (the dashboard, `wijkwacht watch`).
KIND_NAMES = {
    ENFORCEMENT: "Handhavingsmeldingen",
    CAMERA: "Cameraincidenten",
    DAMAGE: "Jaarwisselingsschade",
    DOMESTIC: "Huiselijk geweld",
    RESTRAINING: "Tijdelijke huisverboden",
    CASE: "Woonoverlast",
}


def event_type(kind: str) -> str:
    """The CloudEvents `type` of a kind, e.g. nl.wijkwacht.handhavingsmelding.v1."""
    return f"nl.wijkwacht.{kind}.v1"


def counted_kind(kind: str) -> str:
    """The kind an event type belongs to: a case's status events are the case's kind."""
    return CASE if kind == CASE_STATUS else kind
