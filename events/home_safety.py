"""The payloads of section 5.1 of the annual report, safety in the home: woonoverlast cases
and their statuses, domestic violence registered, temporary restraining orders imposed.

A woonoverlast case follows the concepts of the ZGW Zaken API, so that an adapter from a
municipality's zaaksysteem maps one to one: the case is a zaak (its CloudEvents `subject` is
the zaak's identificatie, or any stable pseudonymous id), its status events are ZGW Statussen
(`status_id` the status's own id, `statustype` a code of the registry's statustypes, set at
`set_at`, ZGW's datumStatusGezet), and the status whose statustype is final (ZGW's eindstatus)
carries the case's resultaat. None of them holds personal data, addresses or free text: only
codes, moments and ids (docs/design.md, "Cases").
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from events.fields import Code, Payload, Timestamp
from events.kinds import CASE, CASE_STATUS, DOMESTIC, RESTRAINING
from events.limits import SUBJECT_MAX_LENGTH

# A status's id: as a subject is written (ZGW's uuid fits).
StatusId = Annotated[
    str,
    Field(
        pattern=rf"^[A-Za-z0-9._:/-]{{1,{SUBJECT_MAX_LENGTH}}}$",
        description="The status's own stable id (e.g. the ZGW Status's uuid)",
    ),
]


class CaseOpening(Payload):
    """nl.wijkwacht.woonoverlast.v1: a woonoverlast case (zaak) registered. Revisions correct
    it; nl.wijkwacht.intrekking.v1 withdraws it, statuses and all."""

    kind: ClassVar[str] = CASE
    moment_field: ClassVar[str | None] = "registered_at"
    registered_at: Timestamp  # ZGW: registratiedatum
    wijk: Code
    housing: Code  # corporatie, koop, particuliere-huur: the registry's housing types
    category: Code  # the kind of nuisance: the registry's woonoverlast categories


class CaseStatus(Payload):
    """nl.wijkwacht.woonoverlaststatus.v1: a status set on a woonoverlast case (a ZGW Status),
    under the case's `subject`. A final statustype closes the case and must carry its
    `resultaat`; a later status that is not final reopens it. Each status is revised by
    itself: the highest revision of each `status_id` counts."""

    kind: ClassVar[str] = CASE_STATUS
    moment_field: ClassVar[str | None] = "set_at"
    status_id: StatusId
    statustype: Code
    set_at: Timestamp  # ZGW: datumStatusGezet
    resultaat: Code | None = None  # ZGW: the Resultaat's resultaattype, with a final status


class DomesticViolence(Payload):
    """nl.wijkwacht.huiselijkgeweld.v1: a case of domestic violence registered, by the
    organisation that registered it. Counted per wijk and period, never per person."""

    kind: ClassVar[str] = DOMESTIC
    moment_field: ClassVar[str | None] = "registered_at"
    registered_at: Timestamp
    wijk: Code
    organisation: Code  # the registry's organisations (politie, veilig-thuis, ...)


class RestrainingOrder(Payload):
    """nl.wijkwacht.huisverbod.v1: a temporary restraining order (tijdelijk huisverbod)
    imposed by the mayor. Counted per wijk and period, never per person."""

    kind: ClassVar[str] = RESTRAINING
    moment_field: ClassVar[str | None] = "imposed_at"
    imposed_at: Timestamp
    wijk: Code
