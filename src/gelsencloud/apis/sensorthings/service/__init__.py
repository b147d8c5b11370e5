"""Service layer of the SensorThings API: reads, writes and bulk observation inserts."""

from gelsencloud.apis.sensorthings.service.bulk import add_observations

__all__ = ["add_observations"]
