"""Tables of the sensor hub: the device registry, the raw uplink log and infrastructure inventory."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gelsencloud.core.db import Base
from gelsencloud.core.models import Classified, Timestamp, utcnow

CATEGORIES = {
    # key: (German label, English label)
    "air_quality": ("Luftqualität", "Air quality"),
    "waste_container": ("Abfallbehälter mit Füllstandsensor", "Waste container with fill sensor"),
    "parking_space": ("Parkplatz mit Belegungssensor", "Parking bay with occupancy sensor"),
    "ev_charger": ("Ladepunkt E-Mobilität", "EV charging point"),
    "water_meter": ("Wasserzähler", "Water meter"),
    "electricity_meter": ("Stromzähler", "Electricity meter"),
    "heat_meter": ("Wärmemengenzähler", "Heat meter"),
    "people_counter": ("Personenzähler", "People counter"),
    "wifi_hotspot": ("WLAN-Hotspot", "Wi-Fi hotspot"),
    "smart_pole": ("Smart Pole", "Smart pole"),
}


class Device(Classified, Base):
    """A registered device: who owns it, what it is, how to decode it, where its data goes."""

    __tablename__ = "sensorhub_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dev_eui: Mapped[str | None] = mapped_column(String(16), unique=True)  # None for non-LoRaWAN assets
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    decoder: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    site: Mapped[str | None] = mapped_column(String(200))  # building, car park or container site
    # Classification of the device's Thing, Datastreams and Observations (the registry row itself
    # follows ``classification``): a parking sensor's data may be public while its registry entry is not.
    data_classification: Mapped[str] = mapped_column(String(16), default="public", nullable=False)
    thing_id: Mapped[int | None] = mapped_column(ForeignKey("sta_things.id", ondelete="SET NULL"))
    datastreams: Mapped[dict[str, int] | None] = mapped_column(JSON)
    expected_interval_s: Mapped[int] = mapped_column(Integer, default=900, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    last_seen_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_f_cnt: Mapped[int | None] = mapped_column(Integer)
    last_rssi: Mapped[float | None] = mapped_column(Float)
    last_snr: Mapped[float | None] = mapped_column(Float)
    battery: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, nullable=False)

    # Link state changes with every uplink; it is telemetry, not an edit, so it is not audited.
    __audit_ignore__: ClassVar[set[str]] = {"last_seen_at", "last_f_cnt", "last_rssi", "last_snr", "battery"}

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Device:
        """Build a device carrying ``marker`` for the isolation test."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            data_classification=classification,
            name=marker,
            description=marker,
            category="air_quality",
        )


class Uplink(Classified, Base):
    """Every message a network server delivered, stored before it is decoded, so none is lost."""

    __tablename__ = "sensorhub_uplinks"
    __table_args__ = (
        UniqueConstraint("network_server", "event_id", name="uq_sensorhub_uplinks_event"),
        Index("ix_sensorhub_uplinks_dev_eui_f_cnt", "dev_eui", "f_cnt"),
    )
    __audit__: ClassVar[bool] = False  # high-volume machine input; ingestion is audited per batch

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(Timestamp, nullable=False, index=True)
    network_server: Mapped[str] = mapped_column(String(32), nullable=False)
    event: Mapped[str] = mapped_column(String(16), default="up", nullable=False)
    event_id: Mapped[str | None] = mapped_column(String(100))
    dev_eui: Mapped[str] = mapped_column(String(16), nullable=False)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("sensorhub_devices.id", ondelete="SET NULL"))
    f_cnt: Mapped[int | None] = mapped_column(Integer)
    f_port: Mapped[int | None] = mapped_column(Integer)
    payload_hex: Mapped[str] = mapped_column(Text, default="", nullable=False)
    body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    observations: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> Uplink:
        """Build an uplink row carrying ``marker``."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            received_at=utcnow(),
            network_server="chirpstack",
            dev_eui="00000000000000aa",
            status="failed",
            error=marker,
            body={"marker": marker},
        )


class InventoryCount(Classified, Base):
    """How many of an infrastructure kind exist in total (the denominator of coverage KPIs)."""

    __tablename__ = "sensorhub_inventory"
    __table_args__ = (
        UniqueConstraint("tenant_id", "category", "as_of", name="uq_sensorhub_inventory_entry"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(64), nullable=False)
    total: Mapped[int] = mapped_column(Integer, nullable=False)
    as_of: Mapped[datetime] = mapped_column(Timestamp, nullable=False)
    source: Mapped[str] = mapped_column(String(300), default="", nullable=False)

    @classmethod
    def sample(cls, *, tenant_id: int, classification: str, marker: str) -> InventoryCount:
        """Build an inventory entry carrying ``marker``."""
        return cls(
            tenant_id=tenant_id,
            classification=classification,
            category=marker,
            total=1,
            as_of=utcnow(),
            source=marker,
        )


# One row counting the changes to what the webhook batcher reads before it takes the writer lock and
# keeps across batches: devices (but not their link state), the tenant, classification and Thing of
# Datastreams, Things' Locations and Features of Interest. Database
# triggers count on every write path (migration hub0002); ``service.write_uplinks`` compares the count
# read with the batch to the count inside its write transaction and prepares the batch again if it moved.
# Bookkeeping without city data, so neither a mapped class nor classified.
registry_version = Table(
    "sensorhub_registry_version",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)
