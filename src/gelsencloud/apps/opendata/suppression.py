"""Minimum-count suppression with complementary suppression for published aggregate tables.

Primary suppression hides every cell with 0 < count < threshold. Complementary suppression then
hides further cells until no hidden cell can be recomputed from the published cells and the
published row and column totals: a hidden cell is recomputable exactly when its unit vector lies
in the row space of the constraint system formed by the totals over hidden cells, which is
checked with a matrix rank test. While some hidden cell is recomputable, the smallest visible
non-zero cell in its row (else its column) is hidden as well; each round hides one more cell,
so the loop ends.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_THRESHOLD = 5


def _constraints(hidden: set[tuple[int, int]], rows: int, cols: int, row_totals: bool, col_totals: bool):
    cells = sorted(hidden)
    index = {c: i for i, c in enumerate(cells)}
    lines = []
    if row_totals:
        for r in range(rows):
            lines.append([index[c] for c in cells if c[0] == r])
    if col_totals:
        for c in range(cols):
            lines.append([index[x] for x in cells if x[1] == c])
    matrix = np.zeros((len(lines), len(cells)))
    for i, members in enumerate(lines):
        for j in members:
            matrix[i, j] = 1.0
    return cells, matrix


def recomputable(
    hidden: set[tuple[int, int]], rows: int, cols: int, *, row_totals: bool = True, col_totals: bool = True
) -> list[tuple[int, int]]:
    """Return the hidden cells an attacker could recompute from totals and visible cells."""
    if not hidden:
        return []
    cells, matrix = _constraints(hidden, rows, cols, row_totals, col_totals)
    if matrix.shape[0] == 0:
        return []
    rank = np.linalg.matrix_rank(matrix)
    found = []
    for j, cell in enumerate(cells):
        unit = np.zeros((1, len(cells)))
        unit[0, j] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.append(cell)
    return found


def suppress_table(
    table: Sequence[Sequence[int]],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    row_totals: bool = True,
    col_totals: bool = True,
) -> list[list[int | None]]:
    """Return the table with small counts and their complements replaced by None.

    ``row_totals``/``col_totals`` say which margins are published (computed from the true values);
    a single list is treated as one row with a published total.
    """
    grid = [list(r) for r in table]
    rows = len(grid)
    cols = max((len(r) for r in grid), default=0)
    if any(len(r) != cols for r in grid):
        raise ValueError("all rows need the same number of cells")
    hidden = {(r, c) for r in range(rows) for c in range(cols) if 0 < grid[r][c] < threshold}
    while True:
        exposed = recomputable(hidden, rows, cols, row_totals=row_totals, col_totals=col_totals)
        if not exposed:
            break
        r, c = exposed[0]
        candidate = _complement(grid, hidden, r, c, row_totals, col_totals)
        if candidate is None:
            break  # everything in reach is hidden already
        hidden.add(candidate)
    return [[None if (r, c) in hidden else grid[r][c] for c in range(cols)] for r in range(rows)]


def _complement(grid, hidden, r, c, row_totals, col_totals):
    options = []
    if row_totals:
        options += [(grid[r][j], 0, (r, j)) for j in range(len(grid[r])) if (r, j) not in hidden]
    if col_totals:
        options += [(grid[i][c], 1, (i, c)) for i in range(len(grid)) if (i, c) not in hidden]
    nonzero = [o for o in options if o[0] > 0] or options
    return min(nonzero)[2] if nonzero else None


def suppress_column(
    rows: list[dict], value_key: str, *, threshold: int = DEFAULT_THRESHOLD, total_published: bool = True
) -> list[dict]:
    """Suppress a count column of a one-dimensional table (e.g. counts per district) in place."""
    values = [int(r.get(value_key) or 0) for r in rows]
    result = suppress_table([values], threshold=threshold, row_totals=total_published, col_totals=False)[0]
    for row, value in zip(rows, result, strict=True):
        row[value_key] = value
    return rows
