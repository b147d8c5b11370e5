"""Status workflow of a report and its mapping to Open311 open/closed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Status:
    """One workflow state."""

    code: str
    label_de: str
    label_en: str
    open311: str  # "open" | "closed"
    detailed: str  # extended status vocabulary (FixMyStreet's Open311 extension)


STATUSES: dict[str, Status] = {
    s.code: s
    for s in (
        Status("new", "Neu", "New", "open", "OPEN"),
        Status("acknowledged", "Angenommen", "Acknowledged", "open", "INVESTIGATING"),
        Status("in_progress", "In Bearbeitung", "In progress", "open", "IN_PROGRESS"),
        Status("fixed", "Erledigt", "Fixed", "closed", "FIXED"),
        Status("closed_duplicate", "Geschlossen: Doppelmeldung", "Closed: duplicate", "closed", "DUPLICATE"),
        Status(
            "closed_not_responsible",
            "Geschlossen: nicht zuständig",
            "Closed: not responsible",
            "closed",
            "NOT_COUNCILS_RESPONSIBILITY",
        ),
        Status(
            "closed_not_fixable",
            "Geschlossen: nicht behebbar",
            "Closed: cannot be fixed",
            "closed",
            "NO_FURTHER_ACTION",
        ),
        Status("reopened", "Wieder geöffnet", "Reopened", "open", "REOPEN"),
    )
}

OPEN_STATES = frozenset(c for c, s in STATUSES.items() if s.open311 == "open")
CLOSED_STATES = frozenset(c for c, s in STATUSES.items() if s.open311 == "closed")
_WORKING = {"acknowledged", "in_progress", *CLOSED_STATES}
TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset(_WORKING),
    "acknowledged": frozenset(_WORKING - {"acknowledged"}),
    "in_progress": frozenset(CLOSED_STATES),
    "reopened": frozenset(_WORKING),
    **{closed: frozenset({"reopened"}) for closed in CLOSED_STATES},
}
DETAILED_TO_CODES: dict[str, str] = {s.detailed: s.code for s in STATUSES.values()}


def can_move(current: str, target: str) -> bool:
    """Tell whether the workflow allows ``current`` → ``target``."""
    return target in TRANSITIONS.get(current, frozenset())


def open311_status(code: str) -> str:
    """Map a workflow state to Open311 ``open``/``closed``."""
    return STATUSES[code].open311 if code in STATUSES else "open"
