"""Parse the free-text implementation periods ("Umsetzungszeitraum") of measures.

The strategy writes periods as prose fragments such as ``2020 - ff``,
``bis Q3. 2021``, ``10.2019-06.2022`` or ``laufend seit 2015``. This module
turns them into a :class:`Period` with calendar bounds while keeping the text.

Rules, in short:

* A date token is a year (``2020``), a year pair (``2020/21``), a quarter
  (``Q3.2020``, ``Q3. 2021``), a month (``10.2019``) or ``Ende``/``Anfang``
  plus a year (dated as the fourth/first quarter, precision still ``year``).
* ``bis X`` bounds the end only; ``ab X``, ``seit X`` and ``X - ff`` bound the
  start only (open ended); ``X - Y`` is a range; a bare token covers itself.
* Several tokens (``bis Q4.2019 Analyse ... ab 2021``) give the widest span:
  from the earliest date mentioned to the latest one, or open ended.
* Texts made only of ``bis`` tokens keep ``start=None``: the document does not
  say when such measures began, and inventing a start would be false data.
* ``laufend``/``fortlaufend``/``seit`` mark the measure as ongoing.
* Anything else (``offen``, ``Mit Portaleinführung``) gives precision
  ``unknown``; the parser never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

Precision = Literal["year", "quarter", "month", "unknown"]

# Finer precision wins when a text mixes token kinds.
_RANK: dict[str, int] = {"unknown": 0, "year": 1, "quarter": 2, "month": 3}


@dataclass(frozen=True)
class Period:
    """A parsed implementation period; dates are inclusive, None means unknown."""

    start: date | None
    end: date | None
    open_ended: bool
    ongoing: bool
    precision: Precision
    text: str

    @property
    def start_year(self) -> int | None:
        """Year of the start date, if known."""
        return self.start.year if self.start else None

    @property
    def end_year(self) -> int | None:
        """Year of the end date, if known."""
        return self.end.year if self.end else None


@dataclass(frozen=True)
class _Token:
    first: date
    last: date
    precision: Precision
    pos: int
    endpos: int


# Order matters: quarter and month forms must win over the bare year inside them.
_TOKEN_RE = re.compile(
    r"""
    (?P<quarter>Q\s?(?P<q>[1-4])\s?[./]?\s?(?P<qy>(?:19|20)\d{2}))
    | (?P<quartal>(?P<qn>[1-4])\.\s?Quartal\s+(?P<qny>(?:19|20)\d{2}))
    | (?P<edge>(?P<edgeword>Ende|Anfang)\s+(?P<ey>(?:19|20)\d{2}))
    | (?P<month>(?<![\w.])(?P<m>0?[1-9]|1[0-2])\.\s?(?P<my>(?:19|20)\d{2}))
    | (?P<pair>(?<!\d)(?P<py1>(?:19|20)\d{2})/(?P<py2>\d{2}|(?:19|20)\d{2})(?!\d))
    | (?P<year>(?<!\d)(?P<y>(?:19|20)\d{2})(?!\d))
    """,
    re.VERBOSE | re.IGNORECASE,
)
_FF_AFTER = re.compile(r"^\s*[-–—]?\s*ff\b\.?", re.IGNORECASE)
_RANGE_GAP = re.compile(r"^\s*[-–—]\s*$")
_FROM_WORDS = re.compile(r"\b(ab|seit)\b", re.IGNORECASE)
_UNTIL_WORDS = re.compile(r"\bbis\b", re.IGNORECASE)
_ONGOING_WORDS = re.compile(r"laufend|\bseit\b", re.IGNORECASE)
_FF_ANYWHERE = re.compile(r"(?<![a-zäöü])ff\b", re.IGNORECASE)


def _quarter(year: int, quarter: int) -> tuple[date, date]:
    first_month = 3 * (quarter - 1) + 1
    return date(year, first_month, 1), _month_end(year, first_month + 2)


def _month_end(year: int, month: int) -> date:
    if month == 12:
        return date(year, 12, 31)
    return date.fromordinal(date(year, month + 1, 1).toordinal() - 1)


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for m in _TOKEN_RE.finditer(text):
        if m.group("quarter") or m.group("quartal"):
            q = int(m.group("q") or m.group("qn"))
            y = int(m.group("qy") or m.group("qny"))
            first, last = _quarter(y, q)
            precision: Precision = "quarter"
        elif m.group("edge"):
            y = int(m.group("ey"))
            # "Ende 2019" is read as its last quarter, "Anfang" as its first.
            q = 4 if m.group("edgeword").lower() == "ende" else 1
            first, last = _quarter(y, q)
            # The wording is vaguer than a quarter, so claim year precision only.
            precision = "year"
        elif m.group("month"):
            mo, y = int(m.group("m")), int(m.group("my"))
            first, last, precision = date(y, mo, 1), _month_end(y, mo), "month"
        elif m.group("pair"):
            y1, y2s = int(m.group("py1")), m.group("py2")
            y2 = int(y2s) if len(y2s) == 4 else y1 // 100 * 100 + int(y2s)
            y2 = max(y1, y2)
            first, last, precision = date(y1, 1, 1), date(y2, 12, 31), "year"
        else:
            y = int(m.group("y"))
            first, last, precision = date(y, 1, 1), date(y, 12, 31), "year"
        tokens.append(_Token(first, last, precision, m.start(), m.end()))
    return tokens


def _roles(text: str, tokens: list[_Token]) -> list[str]:
    """Classify each token as 'from', 'until', 'range_start', 'range_end' or 'plain'."""
    roles = ["plain"] * len(tokens)
    for i, tok in enumerate(tokens):
        before = text[tokens[i - 1].endpos if i else 0 : tok.pos]
        after = text[tok.endpos : tokens[i + 1].pos if i + 1 < len(tokens) else len(text)]
        if roles[i] == "range_end":
            continue
        if i + 1 < len(tokens) and _RANGE_GAP.match(after):
            roles[i], roles[i + 1] = "range_start", "range_end"
            continue
        if _FF_AFTER.match(after) or _FROM_WORDS.search(before):
            roles[i] = "from"
        elif _UNTIL_WORDS.search(before):
            roles[i] = "until"
    return roles


def parse_period(text: str) -> Period:
    """Parse a German period text into a Period; unknown texts get precision 'unknown'."""
    raw = text if isinstance(text, str) else ""
    tokens = _tokens(raw)
    ongoing = bool(_ONGOING_WORDS.search(raw))
    if not tokens:
        # "laufend" / "ff" without a date: running or open, but no bounds.
        open_ended = ongoing or bool(_FF_ANYWHERE.search(raw))
        return Period(None, None, open_ended, ongoing, "unknown", raw)

    roles = _roles(raw, tokens)
    precision: Precision = max((t.precision for t in tokens), key=_RANK.__getitem__)

    # A start exists unless every token is a pure deadline ("bis ...").
    if all(r == "until" for r in roles):
        start = None
    else:
        start = min(t.first for t in tokens)

    # Open ended when the latest-reaching statement is a "from"/"seit"/"ff" one.
    latest = max(range(len(tokens)), key=lambda i: (tokens[i].last, roles[i] == "from"))
    open_ended = roles[latest] == "from"
    end = None if open_ended else max(t.last for t in tokens)
    return Period(start, end, open_ended, ongoing, precision, raw)
