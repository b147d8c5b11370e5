"""Test setup for the SensorThings tests."""

import sys
import tempfile
from pathlib import Path

from hypothesis import configuration

# Hypothesis caches examples and source constants in ./.hypothesis; keep the shared working tree clean.
# sta_helpers.py lives next to the tests (pytest runs with --import-mode=importlib).
sys.path.insert(0, str(Path(__file__).resolve().parent))

configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="gelsencloud-hypothesis-"))


import pytest  # noqa: E402

from gelsencloud.core.settings import Settings  # noqa: E402


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    """Settings for SensorThings tests: only the plugins they need, so other apps' work cannot break them."""
    import uuid

    return Settings(
        _env_file=None,
        database_url=database_url,
        secret_key="test-secret-" + uuid.uuid4().hex,
        jobs_enabled=False,
        var_dir=tmp_path,
        login_max_failures=3,
        plugins="example,sensorthings",
    )


@pytest.fixture
def editor(world) -> dict[str, str]:
    """Authorization header of an editor of the city."""
    return {"Authorization": f"Bearer {world.keys['city.editor']}"}


@pytest.fixture
def outsider(world) -> dict[str, str]:
    """Authorization header of an operator of another tenant (GELSEN-NET)."""
    return {"Authorization": f"Bearer {world.keys['net.operator']}"}
