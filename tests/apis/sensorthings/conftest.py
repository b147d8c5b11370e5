"""Test setup for the SensorThings tests."""

import tempfile

from hypothesis import configuration

# Hypothesis caches examples and source constants in ./.hypothesis; keep the shared working tree clean.
configuration.set_hypothesis_home_dir(tempfile.mkdtemp(prefix="gelsencloud-hypothesis-"))
