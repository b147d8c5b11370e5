"""The one place where data classification and tenant isolation are enforced.

Every ORM query made through a platform session gets a visibility criterion for every
classified model, and every flush checks that the acting principal may write the records
it touches. Routes, CLI commands and jobs therefore cannot forget the check: a session
without a principal is anonymous and sees public records only.
"""

from __future__ import annotations

import contextlib
import weakref
from functools import lru_cache

from sqlalchemy import and_, event, false, or_, true
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.sql.util import find_tables

from gelsencloud.core.db import Base
from gelsencloud.core.models import Classified
from gelsencloud.core.principal import ANONYMOUS, WRITER_ROLES, Classification, Principal

VALID_CLASSIFICATIONS = frozenset(c.value for c in Classification)


class PermissionDenied(Exception):
    """Raised when a principal tries to write data it may not write."""


def principal_of(session: Session) -> Principal:
    """Return the principal a session acts for (anonymous when unset)."""
    return session.info.get("principal") or ANONYMOUS


def classified_models() -> list[type[Classified]]:
    """Return every mapped class that carries a classification."""
    return list(_classified_models(len(Base.registry.mappers)))


@lru_cache(maxsize=8)
def _classified_models(_mapper_count: int) -> tuple[type[Classified], ...]:
    # Keyed by the number of mappers: a plugin imported later adds models and so a new entry.
    return tuple(mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, Classified))


def visibility_clause(model: type[Classified], principal: Principal):
    """Build the SQL criterion of records of ``model`` that ``principal`` may read."""
    if principal.is_system:
        return true()
    public = model.classification == Classification.PUBLIC.value
    if principal.tenant_id is None:
        return public
    readable = [Classification.INTERNAL.value]
    if principal.role in model.personal_roles:
        readable.append(Classification.PERSONAL.value)
    own = and_(model.tenant_id == principal.tenant_id, model.classification.in_(readable))
    return or_(public, own)


def writable_clause(model: type[Classified], principal: Principal):
    """Build the SQL criterion of records of ``model`` that ``principal`` may change or delete."""
    if principal.is_system:
        return true()
    if principal.tenant_id is None or principal.role not in WRITER_ROLES:
        return false()
    return and_(model.tenant_id == principal.tenant_id, visibility_clause(model, principal))


def can_read(record: Classified, principal: Principal) -> bool:
    """Tell in Python whether ``principal`` may read ``record`` (for objects not loaded by a query)."""
    if principal.is_system or record.classification == Classification.PUBLIC.value:
        return True
    if principal.tenant_id is None or record.tenant_id != principal.tenant_id:
        return False
    if record.classification == Classification.PERSONAL.value:
        return principal.role in type(record).personal_roles
    return True


@event.listens_for(Session, "do_orm_execute")
def _restrict_reads(state: ORMExecuteState) -> None:
    """Add the visibility criterion to every ORM SELECT, and the write criterion to UPDATE and DELETE."""
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get("skip_classification"):
        # Only the classification test and migrations may use this; they run as the system.
        if not principal_of(state.session).is_system:
            raise PermissionDenied("skip_classification is reserved for the system principal")
        return
    principal = principal_of(state.session)
    if principal.is_system:
        return
    models = _models_reached(state.statement)
    if not models:
        return
    key = (principal.tenant_id, principal.role, state.is_select, models)
    state.statement = state.statement.options(*_criteria_options(key))


def _models_reached(statement) -> frozenset:
    """Return the classified models a statement can read, directly or through eager relationship loads.

    Giving every statement the criteria of all ~30 classified models made SQLAlchemy compute ~30 option
    cache keys per query (about 1 ms each time); a statement only needs those of the tables it names,
    plus what the mapped classes of those tables can load along relationships (joined eager loads are
    added when the statement is compiled, so they never appear among its tables). Lazy and select-in
    loads run as statements of their own and pass through here again.
    """
    mappers = len(Base.registry.mappers)
    try:  # statements are immutable; hot ones are built once at import and run per request
        known = _REACHED[statement]
        if known[0] == mappers:
            return known[1]
    except (KeyError, TypeError):
        pass
    by_table = _mappers_by_table(mappers)
    reached: set = set()
    for table in find_tables(
        statement, check_columns=True, include_aliases=True, include_joins=True, include_crud=True
    ):
        table = getattr(table, "element", table)  # an alias counts as its table
        mapper = by_table.get(table)
        if mapper is not None:
            reached |= _reachable(mapper)
    found = frozenset(reached)
    with contextlib.suppress(TypeError):  # an element without weak references is not remembered
        _REACHED[statement] = (mappers, found)
    return found


# Statement -> (mapper count, models it reaches); walking a statement's tables was 2-3 % of a webhook's CPU.
_REACHED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@lru_cache(maxsize=8)
def _mappers_by_table(_mapper_count: int) -> dict:
    return {table: mapper for mapper in Base.registry.mappers for table in mapper.tables}


@lru_cache(maxsize=512)
def _reachable(mapper) -> frozenset:
    """Classified models of this mapper and of every mapper reachable through its relationships."""
    seen, todo = {mapper}, [mapper]
    while todo:
        for rel in todo.pop().relationships:
            if rel.mapper not in seen:
                seen.add(rel.mapper)
                todo.append(rel.mapper)
    return frozenset(m.class_ for m in seen if issubclass(m.class_, Classified))


@lru_cache(maxsize=4096)
def _criteria_options(key: tuple) -> tuple:
    """Build the loader criteria for one kind of principal and set of models once (immutable SQL)."""
    tenant_id, role, is_select, models = key
    principal = Principal(kind="user", tenant_id=tenant_id, role=role)
    # A public record of another tenant is readable but not writable: bulk writes need both.
    clause = visibility_clause if is_select else writable_clause
    ordered = sorted(models, key=lambda model: model.__name__)  # a stable order keeps the SQL cache warm
    return tuple(
        with_loader_criteria(model, clause(model, principal), include_aliases=True) for model in ordered
    )


@event.listens_for(Session, "before_flush")
def _check_writes(session: Session, _context, _instances) -> None:
    """Refuse to flush records the principal may not create, change or delete."""
    principal = principal_of(session)
    # Take each set once: session.new/dirty build a fresh collection on every access.
    new, dirty, deleted = list(session.new), list(session.dirty), list(session.deleted)
    for obj in new:
        if isinstance(obj, Classified) and obj.tenant_id is None and principal.tenant_id is not None:
            obj.tenant_id = principal.tenant_id
    for obj in new + dirty + deleted:
        if not isinstance(obj, Classified):
            continue
        if obj.classification is None:
            obj.classification = Classification.INTERNAL.value
        if obj.classification not in VALID_CLASSIFICATIONS:
            raise ValueError(
                f"classification must be one of {sorted(VALID_CLASSIFICATIONS)}, got {obj.classification!r}"
            )
        tenants = {obj.tenant_id}
        previous = _previous_tenant(obj)
        if previous is not None:
            tenants.add(previous)  # moving a record needs rights on both tenants
        for tenant_id in tenants:
            if not principal.can_write(tenant_id):
                raise PermissionDenied(
                    f"{principal.name} may not write {type(obj).__name__} records of tenant {tenant_id}"
                )


def _previous_tenant(obj: Classified) -> int | None:
    # get_history reads one attribute; inspect(obj).attrs built the states of all of them (per object).
    hist = get_history(obj, "tenant_id")
    return hist.deleted[0] if hist.deleted else None


__all__ = [
    "PermissionDenied",
    "can_read",
    "classified_models",
    "principal_of",
    "visibility_clause",
    "writable_clause",
]
