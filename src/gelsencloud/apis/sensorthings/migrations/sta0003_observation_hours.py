"""Stored hourly aggregates of numeric Observation results, kept current by database triggers.

``sta_observation_hours`` holds per Datastream and UTC hour (hours since 1970) the count, sum, minimum
and maximum of the numeric results (``result_number``). Triggers on ``sta_observations`` maintain it
in the writing transaction, whatever the write path (bulk COPY/executemany, ORM, retention, cascades):
inserts add to their hour; deletes and updates of time, result or Datastream mark the hour ``dirty``
(minimum and maximum cannot be taken back), and dirty hours are recomputed from the Observations
(see ``gelsencloud.apis.sensorthings.aggregates``). PostgreSQL uses statement-level triggers with
transition tables (one grouped upsert per statement, also for COPY); SQLite has row triggers only.
Existing Observations are aggregated during the upgrade.

Revision ID: sta0003_observation_hours
Revises: sta0002_observation_indexes
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "sta0003_observation_hours"
down_revision = "sta0002_observation_indexes"
branch_labels = None
depends_on = None

TABLE = "sta_observation_hours"

# floor(seconds / 3600) also before 1970 (SQLite's integer division truncates towards zero).
_SQLITE_SECONDS = "CAST(strftime('%s', {row}.phenomenon_time_start) AS INTEGER)"
_SQLITE_HOUR = f"(({_SQLITE_SECONDS} - ((({_SQLITE_SECONDS} % 3600) + 3600) % 3600)) / 3600)"
_PG_HOUR = "CAST(floor(extract(epoch FROM {row}.phenomenon_time_start) / 3600) AS integer)"

SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER sta_observation_hours_insert AFTER INSERT ON sta_observations
WHEN NEW.datastream_id IS NOT NULL AND NEW.result_number IS NOT NULL
BEGIN
  INSERT INTO sta_observation_hours (datastream_id, epoch_hour, count, total, minimum, maximum, dirty)
  VALUES (NEW.datastream_id, {_SQLITE_HOUR.format(row="NEW")}, 1, NEW.result_number, NEW.result_number,
          NEW.result_number, 0)
  ON CONFLICT (datastream_id, epoch_hour) DO UPDATE SET count = count + 1, total = total + excluded.total,
    minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum);
END""",
    f"""CREATE TRIGGER sta_observation_hours_delete AFTER DELETE ON sta_observations
WHEN OLD.datastream_id IS NOT NULL AND OLD.result_number IS NOT NULL
BEGIN
  UPDATE sta_observation_hours SET dirty = 1
  WHERE datastream_id = OLD.datastream_id AND epoch_hour = {_SQLITE_HOUR.format(row="OLD")} AND NOT dirty;
END""",
    f"""CREATE TRIGGER sta_observation_hours_update
AFTER UPDATE OF phenomenon_time_start, result_number, datastream_id ON sta_observations
BEGIN
  INSERT INTO sta_observation_hours (datastream_id, epoch_hour, count, total, dirty)
  SELECT OLD.datastream_id, {_SQLITE_HOUR.format(row="OLD")}, 0, 0, 1
  WHERE OLD.datastream_id IS NOT NULL AND OLD.result_number IS NOT NULL
  ON CONFLICT (datastream_id, epoch_hour) DO UPDATE SET dirty = 1;
  INSERT INTO sta_observation_hours (datastream_id, epoch_hour, count, total, dirty)
  SELECT NEW.datastream_id, {_SQLITE_HOUR.format(row="NEW")}, 0, 0, 1
  WHERE NEW.datastream_id IS NOT NULL AND NEW.result_number IS NOT NULL
  ON CONFLICT (datastream_id, epoch_hour) DO UPDATE SET dirty = 1;
END""",
)

_PG_OLD_AND_NEW = """(VALUES (OLD.datastream_id, OLD.phenomenon_time_start, OLD.result_number),
               (NEW.datastream_id, NEW.phenomenon_time_start, NEW.result_number))
       AS r (datastream_id, phenomenon_time_start, result_number)"""

POSTGRES_TRIGGERS = (
    f"""CREATE FUNCTION sta_observation_hours_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sta_observation_hours AS h (datastream_id, epoch_hour, count, total, minimum, maximum, dirty)
  SELECT r.datastream_id, {_PG_HOUR.format(row="r")}, count(*), sum(r.result_number),
         min(r.result_number), max(r.result_number), false
  FROM new_rows r WHERE r.datastream_id IS NOT NULL AND r.result_number IS NOT NULL
  GROUP BY 1, 2
  ON CONFLICT (datastream_id, epoch_hour) DO UPDATE SET count = h.count + excluded.count,
    total = h.total + excluded.total, minimum = least(h.minimum, excluded.minimum),
    maximum = greatest(h.maximum, excluded.maximum);
  RETURN NULL;
END $$""",
    # An UPDATE, not an upsert: a cascade from a deleted Datastream must not recreate its hours.
    f"""CREATE FUNCTION sta_observation_hours_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE sta_observation_hours h SET dirty = true
  FROM (SELECT DISTINCT r.datastream_id, {_PG_HOUR.format(row="r")} AS epoch_hour FROM old_rows r
        WHERE r.datastream_id IS NOT NULL AND r.result_number IS NOT NULL) d
  WHERE h.datastream_id = d.datastream_id AND h.epoch_hour = d.epoch_hour AND NOT h.dirty;
  RETURN NULL;
END $$""",
    f"""CREATE FUNCTION sta_observation_hours_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sta_observation_hours AS h (datastream_id, epoch_hour, count, total, dirty)
  SELECT DISTINCT r.datastream_id, {_PG_HOUR.format(row="r")}, 0, 0, true
  FROM {_PG_OLD_AND_NEW}
  WHERE r.datastream_id IS NOT NULL AND r.result_number IS NOT NULL
  ON CONFLICT (datastream_id, epoch_hour) DO UPDATE SET dirty = true WHERE NOT h.dirty;
  RETURN NULL;
END $$""",
    """CREATE TRIGGER sta_observation_hours_insert AFTER INSERT ON sta_observations
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sta_observation_hours_insert()""",
    """CREATE TRIGGER sta_observation_hours_delete AFTER DELETE ON sta_observations
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sta_observation_hours_delete()""",
    # A row trigger on the three columns only: a classification cascade over millions of rows (which
    # sets none of them) does not fire it, and single PATCHes are the only other updates.
    """CREATE TRIGGER sta_observation_hours_update
AFTER UPDATE OF phenomenon_time_start, result_number, datastream_id ON sta_observations FOR EACH ROW
WHEN ((OLD.phenomenon_time_start, OLD.result_number, OLD.datastream_id)
      IS DISTINCT FROM (NEW.phenomenon_time_start, NEW.result_number, NEW.datastream_id))
EXECUTE FUNCTION sta_observation_hours_update()""",
)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("datastream_id", sa.Integer(), nullable=False),
        sa.Column("epoch_hour", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("minimum", sa.Float(), nullable=True),
        sa.Column("maximum", sa.Float(), nullable=True),
        sa.Column("dirty", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["datastream_id"],
            ["sta_datastreams.id"],
            name=op.f("fk_sta_observation_hours_datastream_id_sta_datastreams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("datastream_id", "epoch_hour", name=op.f("pk_sta_observation_hours")),
    )
    op.create_index(
        "ix_sta_observation_hours_dirty",
        TABLE,
        ["dirty"],
        unique=False,
        sqlite_where=sa.text("dirty"),
        postgresql_where=sa.text("dirty"),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    hour = (_PG_HOUR if postgres else _SQLITE_HOUR).format(row="o")
    op.execute(
        f"INSERT INTO {TABLE} (datastream_id, epoch_hour, count, total, minimum, maximum, dirty) "
        f"SELECT o.datastream_id, {hour}, count(*), sum(o.result_number), min(o.result_number), "
        f"max(o.result_number), {'false' if postgres else '0'} FROM sta_observations o "
        "WHERE o.datastream_id IS NOT NULL AND o.result_number IS NOT NULL GROUP BY 1, 2"
    )
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    for name in ("insert", "delete", "update"):
        op.execute(
            f"DROP TRIGGER IF EXISTS sta_observation_hours_{name} ON sta_observations"
            if op.get_bind().dialect.name == "postgresql"
            else f"DROP TRIGGER IF EXISTS sta_observation_hours_{name}"
        )
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS sta_observation_hours_{name}()")
    op.drop_index("ix_sta_observation_hours_dirty", table_name=TABLE)
    op.drop_table(TABLE)
