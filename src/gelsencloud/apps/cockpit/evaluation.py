"""Evaluation matrix (section 8.1.2): score measures on weighted criteria and rank them.

Each criterion has a point scale [min_points, max_points] and a weight. A measure's score is
the weighted mean of its normalised points, in percent:

    score = 100 * sum(w_c * (p_c - min_c) / (max_c - min_c)) / sum(w_c)   over active criteria it was scored on

A measure is "complete" when it has points on every active criterion; complete measures rank
before incomplete ones, then by score (descending), then by measure number. Criteria and
scores are internal working data of the city.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from gelsencloud.apps.cockpit import service
from gelsencloud.apps.cockpit.models import Criterion, Measure, MeasureScore
from gelsencloud.core.identity import InvalidInput, NotFound
from gelsencloud.core.models import utcnow

DEFAULT_CRITERIA = (
    ("machbarkeit", "Machbarkeit", "Technische, rechtliche und organisatorische Umsetzbarkeit.", True),
    ("wirtschaftlichkeit", "Wirtschaftlichkeit", "Verhältnis von Nutzen zu Kosten und Folgekosten.", True),
    ("zielgenauigkeit", "Zielgenauigkeit", "Beitrag zu den Zielen und Kennzahlen der Strategie.", True),
    ("dringlichkeit", "Dringlichkeit", "Zeitlicher Handlungsdruck (optional).", False),
    ("wichtigkeit", "Wichtigkeit", "Bedeutung für Stadtgesellschaft und Verwaltung (optional).", False),
)


def ensure_default_criteria(session: Session) -> list[Criterion]:
    """Create the three criteria of section 8.1.2 (0–5 points, weight 1) and two optional ones."""
    tenant_id = service._require_city_writer(session)
    existing = {c.key for c in session.scalars(select(Criterion))}
    for position, (key, name, description, active) in enumerate(DEFAULT_CRITERIA):
        if key not in existing:
            session.add(
                Criterion(
                    tenant_id=tenant_id,
                    classification="internal",
                    key=key,
                    name_de=name,
                    description_de=description,
                    min_points=0,
                    max_points=5,
                    weight=1.0,
                    active=active,
                    position=position,
                )
            )
    session.flush()
    return list_criteria(session)


def list_criteria(session: Session, *, active_only: bool = False) -> list[Criterion]:
    """Criteria the caller may read, in display order."""
    stmt = select(Criterion).order_by(Criterion.position, Criterion.id)
    if active_only:
        stmt = stmt.where(Criterion.active.is_(True))
    return list(session.scalars(stmt))


def get_criterion(session: Session, key: str) -> Criterion:
    """One readable criterion."""
    criterion = session.scalar(select(Criterion).where(Criterion.key == key))
    if criterion is None:
        raise NotFound(f"criterion {key!r} not found")
    return criterion


def configure_criterion(
    session: Session,
    key: str,
    *,
    min_points: int | None = None,
    max_points: int | None = None,
    weight: float | None = None,
    active: bool | None = None,
) -> Criterion:
    """Change the point scale, weight or activity of a criterion."""
    criterion = get_criterion(session, key)
    service._require_city_writer(session)
    lo = criterion.min_points if min_points is None else min_points
    hi = criterion.max_points if max_points is None else max_points
    if not 0 <= lo < hi <= 100:
        raise InvalidInput("the point scale needs 0 <= min_points < max_points <= 100")
    if weight is not None and not 0 <= weight <= 100:
        raise InvalidInput("weight must be between 0 and 100")
    outside = session.scalars(
        select(MeasureScore).where(
            MeasureScore.criterion_key == key, (MeasureScore.points < lo) | (MeasureScore.points > hi)
        )
    ).first()
    if outside is not None:
        raise InvalidInput(f"measure {outside.measure_number} has {outside.points} points, outside {lo}–{hi}")
    criterion.min_points, criterion.max_points = lo, hi
    if weight is not None:
        criterion.weight = weight
    if active is not None:
        criterion.active = active
    session.flush()
    return criterion


def set_score(session: Session, number: str, criterion_key: str, points: int, note: str = "") -> MeasureScore:
    """Score a measure on one criterion (replaces an earlier score)."""
    tenant_id = service._require_city_writer(session)
    measure = service.get_measure(session, number)
    criterion = get_criterion(session, criterion_key)
    if isinstance(points, bool) or not isinstance(points, int):
        raise InvalidInput("points must be a whole number")
    if not criterion.min_points <= points <= criterion.max_points:
        raise InvalidInput(
            f"points for {criterion.name_de} must be {criterion.min_points}–{criterion.max_points}, got {points}"
        )
    score = session.scalar(
        select(MeasureScore).where(
            MeasureScore.measure_number == measure.number, MeasureScore.criterion_key == criterion.key
        )
    )
    if score is None:
        score = MeasureScore(
            tenant_id=tenant_id,
            classification="internal",
            measure_number=measure.number,
            criterion_key=criterion.key,
        )
        session.add(score)
    score.points, score.note = points, note.strip()
    score.scored_by, score.scored_at = service.principal_of(session).name, utcnow()
    session.flush()
    return score


def scores_of(session: Session, number: str) -> list[MeasureScore]:
    """Readable scores of one measure."""
    return list(session.scalars(select(MeasureScore).where(MeasureScore.measure_number == number)))


@dataclass(frozen=True)
class RankedMeasure:
    """One row of the ranked evaluation matrix."""

    rank: int
    number: str
    title: str
    status: str
    points: dict[str, int]
    score: float | None
    complete: bool


def weighted_score(points: dict[str, int], criteria: list[Criterion]) -> float | None:
    """Weighted mean of normalised points in percent over the criteria scored (None if none)."""
    total = weights = 0.0
    for c in criteria:
        if c.key not in points or c.weight <= 0:
            continue
        total += c.weight * (points[c.key] - c.min_points) / (c.max_points - c.min_points)
        weights += c.weight
    return round(100 * total / weights, 2) if weights else None


def ranking(
    session: Session, *, include_unscored: bool = False, criteria: list | None = None
) -> list[RankedMeasure]:
    """Measures ranked by weighted score (complete ones first); ``criteria`` overrides the stored ones."""
    criteria = list_criteria(session, active_only=True) if criteria is None else criteria
    by_measure: dict[str, dict[str, int]] = {}
    for s in session.scalars(select(MeasureScore)):
        by_measure.setdefault(s.measure_number, {})[s.criterion_key] = s.points
    measures = {m.number: m for m in session.scalars(select(Measure))}
    rows = []
    for number, measure in measures.items():
        points = {k: v for k, v in by_measure.get(number, {}).items() if any(c.key == k for c in criteria)}
        if not points and not include_unscored:
            continue
        score = weighted_score(points, criteria)
        complete = bool(criteria) and all(c.key in points for c in criteria)
        rows.append((number, measure, points, score, complete))
    rows.sort(key=lambda r: (not r[4], -(r[3] if r[3] is not None else -1), service._number_key(r[0])))
    return [RankedMeasure(i + 1, n, m.title, m.status, p, s, c) for i, (n, m, p, s, c) in enumerate(rows)]


def ranking_csv(session: Session) -> str:
    """The ranked matrix as CSV: rank, measure, title, points per active criterion, score, complete."""
    criteria = list_criteria(session, active_only=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "rank",
            "measure",
            "title",
            "status",
            *[f"{c.key} [{c.min_points}-{c.max_points}; w={c.weight:g}]" for c in criteria],
            "score_percent",
            "complete",
        ]
    )
    for row in ranking(session):
        writer.writerow(
            [
                row.rank,
                row.number,
                row.title,
                row.status,
                *[row.points.get(c.key, "") for c in criteria],
                "" if row.score is None else f"{row.score:.2f}",
                "ja" if row.complete else "nein",
            ]
        )
    return out.getvalue()


@dataclass(frozen=True)
class CriterionView:
    """A criterion's scale and weight, detached from the database (for what-if rankings)."""

    key: str
    name_de: str
    min_points: int
    max_points: int
    weight: float


@dataclass(frozen=True)
class RankShift:
    """A measure's rank and score under other weights, against the configured weights."""

    row: RankedMeasure
    base_rank: int
    base_score: float | None

    @property
    def delta(self) -> int:
        """Places gained (positive) or lost (negative) against the configured weights."""
        return self.base_rank - self.row.rank


def what_if(session: Session, weights: dict[str, float]) -> tuple[list[CriterionView], list[RankShift]]:
    """Rank the scored measures with other weights for some active criteria, nothing saved.

    ``weights`` maps criterion keys to weights (0–100); criteria not named keep their weight.
    Unknown or inactive keys are refused, so a typo cannot silently change nothing.
    """
    active = list_criteria(session, active_only=True)
    known = {c.key: c for c in active}
    for key, weight in weights.items():
        if key not in known:
            raise InvalidInput(f"criterion {key!r} is not an active criterion of the evaluation matrix")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= 100:
            raise InvalidInput(f"weight of {key} must be a number from 0 to 100")
    base = [CriterionView(c.key, c.name_de, c.min_points, c.max_points, c.weight) for c in active]
    changed = [replace(c, weight=float(weights.get(c.key, c.weight))) for c in base]
    before = {r.number: r for r in ranking(session, criteria=base)}
    after = ranking(session, criteria=changed)
    return changed, [RankShift(r, before[r.number].rank, before[r.number].score) for r in after]
