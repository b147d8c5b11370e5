"""The 17 UN Sustainable Development Goals, and measures grouped by them.

German titles are the official short titles used by the Federal Government
("Ziele für nachhaltige Entwicklung"); English titles are the UN's.
"""

from __future__ import annotations

from dataclasses import dataclass

from gelsencloud.apps.cockpit.models import Measure

SDG_TITLES: dict[int, tuple[str, str]] = {
    1: ("Keine Armut", "No poverty"),
    2: ("Kein Hunger", "Zero hunger"),
    3: ("Gesundheit und Wohlergehen", "Good health and well-being"),
    4: ("Hochwertige Bildung", "Quality education"),
    5: ("Geschlechtergleichheit", "Gender equality"),
    6: ("Sauberes Wasser und Sanitäreinrichtungen", "Clean water and sanitation"),
    7: ("Bezahlbare und saubere Energie", "Affordable and clean energy"),
    8: ("Menschenwürdige Arbeit und Wirtschaftswachstum", "Decent work and economic growth"),
    9: ("Industrie, Innovation und Infrastruktur", "Industry, innovation and infrastructure"),
    10: ("Weniger Ungleichheiten", "Reduced inequalities"),
    11: ("Nachhaltige Städte und Gemeinden", "Sustainable cities and communities"),
    12: ("Nachhaltige/r Konsum und Produktion", "Responsible consumption and production"),
    13: ("Maßnahmen zum Klimaschutz", "Climate action"),
    14: ("Leben unter Wasser", "Life below water"),
    15: ("Leben an Land", "Life on land"),
    16: ("Frieden, Gerechtigkeit und starke Institutionen", "Peace, justice and strong institutions"),
    17: ("Partnerschaften zur Erreichung der Ziele", "Partnerships for the goals"),
}


def sdg_title(number: int, lang: str = "de") -> str:
    """Title of an SDG in German (default) or English."""
    de, en = SDG_TITLES[number]
    return en if lang == "en" else de


@dataclass(frozen=True)
class SdgGroup:
    """One SDG with the measures that name it."""

    number: int
    title_de: str
    title_en: str
    measures: list[Measure]


def group_by_sdg(measures: list[Measure]) -> list[SdgGroup]:
    """All 17 SDGs in order, each with the measures naming it (a measure may appear under several)."""
    by_goal: dict[int, list[Measure]] = {n: [] for n in SDG_TITLES}
    for measure in measures:
        for goal in measure.sdgs or []:
            if goal in by_goal:
                by_goal[goal].append(measure)
    return [SdgGroup(n, *SDG_TITLES[n], by_goal[n]) for n in SDG_TITLES]
