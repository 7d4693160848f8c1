"""The kinds of incident Wijkwacht counts, and the CloudEvents type that carries each."""

from __future__ import annotations

ENFORCEMENT = "handhavingsmelding"  # an enforcement team's report (handhavingsmelding)
CAMERA = "cameraincident"  # an incident seen on a surveillance camera
DAMAGE = "jaarwisselingsschade"  # an item of New Year damage to municipal property
WITHDRAWAL = "intrekking"  # not a kind that counts: the withdrawal of an incident

# The counted kinds, in the order every table, report and screen lists them.
KINDS = (ENFORCEMENT, CAMERA, DAMAGE)
# Their names as Dutch screens show them (the dashboard, `wijkwacht watch`).
KIND_NAMES = {
    ENFORCEMENT: "Handhavingsmeldingen",
    CAMERA: "Cameraincidenten",
    DAMAGE: "Jaarwisselingsschade",
}


def event_type(kind: str) -> str:
    """The CloudEvents `type` of a kind, e.g. nl.wijkwacht.handhavingsmelding.v1."""
    return f"nl.wijkwacht.{kind}.v1"
