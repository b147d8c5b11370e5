"""Unit tests for the implementation-period parser."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date

import pytest

from gelsencloud.apps.cockpit.periods import Period, parse_period

D = date

# text, start, end, open_ended, ongoing, precision
CASES = [
    # Single years and year ranges.
    ("2020", D(2020, 1, 1), D(2020, 12, 31), False, False, "year"),
    ("2021-2022", D(2021, 1, 1), D(2022, 12, 31), False, False, "year"),
    ("2018 - 2020", D(2018, 1, 1), D(2020, 12, 31), False, False, "year"),
    # Open-ended "ff" in all spellings of the document.
    ("2020 - ff", D(2020, 1, 1), None, True, False, "year"),
    ("2019 - ff.", D(2019, 1, 1), None, True, False, "year"),
    ("2015-ff", D(2015, 1, 1), None, True, False, "year"),
    ("2013- ff", D(2013, 1, 1), None, True, False, "year"),
    ("2020 – ff", D(2020, 1, 1), None, True, False, "year"),
    # Quarters.
    ("Q3.2020", D(2020, 7, 1), D(2020, 9, 30), False, False, "quarter"),
    ("Q4.2021", D(2021, 10, 1), D(2021, 12, 31), False, False, "quarter"),
    ("bis Q3. 2021", None, D(2021, 9, 30), False, False, "quarter"),
    ("bis Q4.2019", None, D(2019, 12, 31), False, False, "quarter"),
    ("ab Q2.2020", D(2020, 4, 1), None, True, False, "quarter"),
    ("seit Q4.2019", D(2019, 10, 1), None, True, True, "quarter"),
    ("2019-Q3.2022", D(2019, 1, 1), D(2022, 9, 30), False, False, "quarter"),
    ("1. Quartal 2023", D(2023, 1, 1), D(2023, 3, 31), False, False, "quarter"),
    # Months.
    ("10.2019-06.2022", D(2019, 10, 1), D(2022, 6, 30), False, False, "month"),
    ("10.2019 - 09.2020", D(2019, 10, 1), D(2020, 9, 30), False, False, "month"),
    ("02.2020-08.2020", D(2020, 2, 1), D(2020, 8, 31), False, False, "month"),
    ("11.2019-06.2021", D(2019, 11, 1), D(2021, 6, 30), False, False, "month"),
    # Deadlines and starts with words.
    ("bis 2030", None, D(2030, 12, 31), False, False, "year"),
    ("Bis 2021", None, D(2021, 12, 31), False, False, "year"),
    ("bis Ende 2020", None, D(2020, 12, 31), False, False, "year"),
    ("ab 2021", D(2021, 1, 1), None, True, False, "year"),
    ("Ab 2020/21", D(2020, 1, 1), None, True, False, "year"),
    ("seit Ende 2019", D(2019, 10, 1), None, True, True, "year"),
    # Ongoing.
    ("laufend", None, None, True, True, "unknown"),
    ("fortlaufend", None, None, True, True, "unknown"),
    ("laufend seit 2015", D(2015, 1, 1), None, True, True, "year"),
    # Mixed prose: widest span, text kept.
    (
        "bis Q4.2019 Analyse, Pilotierungen & Roll-Out ab 2021",
        D(2019, 10, 1),
        None,
        True,
        False,
        "quarter",
    ),
    ("Test ab 2020, danach stadtweiter Rollout", D(2020, 1, 1), None, True, False, "year"),
    (
        "Testphase und Selektion geeigneter Anbieter in 2020",
        D(2020, 1, 1),
        D(2020, 12, 31),
        False,
        False,
        "year",
    ),
    # Unknown.
    ("offen", None, None, False, False, "unknown"),
    ("Mit Portaleinführung (Umbau 21 Projekt)", None, None, False, False, "unknown"),
]


@pytest.mark.parametrize(("text", "start", "end", "open_ended", "ongoing", "precision"), CASES)
def test_parse_period_forms(text, start, end, open_ended, ongoing, precision):
    period = parse_period(text)
    assert period == Period(start, end, open_ended, ongoing, precision, text)


@pytest.mark.parametrize("text", ["", "   ", "irgendwann", "Q5.2020", "13.2020", "ff", "2020 bis"])
def test_never_raises_on_odd_text(text):
    period = parse_period(text)
    assert period.text == text
    assert period.precision in {"year", "quarter", "month", "unknown"}


def test_non_string_input_is_unknown():
    period = parse_period(None)  # type: ignore[arg-type]
    assert period.precision == "unknown"
    assert period.start is None and period.end is None


def test_invalid_quarter_and_month_fall_back_to_year():
    assert parse_period("Q5.2020").start == D(2020, 1, 1)
    assert parse_period("13.2020").precision == "year"


def test_ff_without_year_is_open_but_unknown():
    period = parse_period("ff")
    assert period.open_ended and period.precision == "unknown"


def test_leap_year_month_end():
    assert parse_period("02.2024").end == D(2024, 2, 29)


def test_year_helpers():
    period = parse_period("10.2019-06.2022")
    assert (period.start_year, period.end_year) == (2019, 2022)
    assert parse_period("offen").start_year is None


def test_period_is_frozen():
    period = parse_period("2020")
    with pytest.raises(FrozenInstanceError):
        period.start = None  # type: ignore[misc]
