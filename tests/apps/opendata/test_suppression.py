"""Minimum-count suppression: small cells hidden, and no hidden cell recomputable from the totals."""

from __future__ import annotations

import random

import numpy as np
import pytest

from gelsencloud.apps.opendata.suppression import recomputable, suppress_column, suppress_table


def _solvable_cells(original, published, row_totals=True, col_totals=True):
    """Independent check: which hidden cells does the linear system of published totals pin down?"""
    hidden = [(r, c) for r, row in enumerate(published) for c, v in enumerate(row) if v is None]
    if not hidden:
        return []
    equations = []
    if row_totals:
        equations += [[1.0 if h[0] == r else 0.0 for h in hidden] for r in range(len(original))]
    if col_totals:
        equations += [[1.0 if h[1] == c else 0.0 for h in hidden] for c in range(len(original[0]))]
    a = np.array(equations)
    # a cell is determined iff every solution of the homogeneous system keeps it at 0
    _, s, vt = np.linalg.svd(a)
    rank = int((s > 1e-9).sum())
    null_space = vt[rank:]
    return (
        [h for i, h in enumerate(hidden) if np.allclose(null_space[:, i], 0)] if len(null_space) else hidden
    )


def test_small_counts_and_complements_are_hidden():
    table = [[12, 3, 20], [8, 15, 9], [30, 11, 7]]
    result = suppress_table(table, threshold=5)
    assert result[0][1] is None  # primary: 3 < 5
    hidden = sum(v is None for row in result for v in row)
    assert hidden >= 4  # one small cell needs a rectangle of complements
    assert _solvable_cells(table, result) == []
    for r, row in enumerate(result):
        for c, value in enumerate(row):
            assert value is None or value == table[r][c]


def test_nothing_hidden_when_nothing_is_small():
    table = [[12, 30], [8, 15]]
    assert suppress_table(table) == table


def test_threshold_is_configurable():
    table = [[6, 50, 50], [50, 50, 50]]
    assert suppress_table(table, threshold=5) == table
    assert suppress_table(table, threshold=7)[0][0] is None


def test_one_dimensional_counts_with_a_published_total():
    rows = [
        {"stadtteil": "A", "anzahl": 2},
        {"stadtteil": "B", "anzahl": 40},
        {"stadtteil": "C", "anzahl": 17},
    ]
    suppress_column(rows, "anzahl")
    assert rows[0]["anzahl"] is None
    assert rows[2]["anzahl"] is None, (
        "the smallest other cell is hidden so A cannot be recomputed from the total"
    )
    assert rows[1]["anzahl"] == 40


def test_zero_cells_are_not_sensitive():
    assert suppress_table([[0, 10, 10]], col_totals=False) == [[0, 10, 10]]


@pytest.mark.parametrize("seed", range(25))
def test_random_tables_never_expose_a_hidden_cell(seed):
    rng = random.Random(seed)
    rows, cols = rng.randint(2, 6), rng.randint(2, 6)
    table = [[rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40]) for _ in range(cols)] for _ in range(rows)]
    result = suppress_table(table, threshold=5)
    assert _solvable_cells(table, result) == [], (table, result)
    for r in range(rows):
        for c in range(cols):
            if 0 < table[r][c] < 5:
                assert result[r][c] is None
    assert (
        recomputable({(r, c) for r in range(rows) for c in range(cols) if result[r][c] is None}, rows, cols)
        == []
    )


def test_rows_of_different_length_are_refused():
    with pytest.raises(ValueError):
        suppress_table([[1, 2], [3]])
