"""GE-meldet fixtures, shared by the Open311 and the application tests."""

from open311_fixtures import city_id, live  # noqa: F401
