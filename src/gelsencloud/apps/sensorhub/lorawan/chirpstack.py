"""ChirpStack v4 integration events (HTTP `?event=...` and MQTT JSON): parse and build."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from typing import Any

from .model import (
    GatewayReception,
    JoinEvent,
    StatusEvent,
    Uplink,
    UplinkFormatError,
    decode_payload_field,
    format_timestamp,
    normalise_coding_rate,
    normalise_eui,
    opt_float,
    opt_int,
    opt_location,
    opt_mapping,
    parse_timestamp,
    require_mapping,
)

__all__ = ["NETWORK_SERVER", "parse_chirpstack_v4", "chirpstack_v4_body", "load_chirpstack_body"]

NETWORK_SERVER = "chirpstack"
_EVENTS = ("up", "join", "status")


def load_chirpstack_body(raw: bytes, content_type: str | None = None) -> dict[str, Any]:
    """Decode an HTTP integration body as JSON; reject binary Protobuf with an actionable message."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if "protobuf" in ctype or ctype == "application/octet-stream":
        raise UplinkFormatError(
            "body is binary Protobuf; set the ChirpStack HTTP integration payload encoding to JSON"
        )
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        # binary Protobuf sent without a telling Content-Type lands here as well
        raise UplinkFormatError(f"body is not JSON (Protobuf encoding configured?): {exc}") from None
    require_mapping(body, "body")
    return body


def _device_info(body: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    info = body.get("deviceInfo")
    if not isinstance(info, Mapping):
        raise UplinkFormatError("deviceInfo: missing or not an object")
    return info, normalise_eui(info.get("devEui"), "deviceInfo.devEui")


def _opt_str(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    return str(value) if value not in (None, "") else None


def _time(body: Mapping[str, Any]) -> Any:
    if "time" not in body:
        raise UplinkFormatError("time: missing")
    return parse_timestamp(body["time"], "time")


def _rx_info(body: Mapping[str, Any]) -> tuple[GatewayReception, ...]:
    items = body.get("rxInfo") or []  # missing when the NS omits it, e.g. relayed or replayed events
    if not isinstance(items, list):
        raise UplinkFormatError("rxInfo: expected a list")
    out = []
    for i, rx in enumerate(items):
        path = f"rxInfo[{i}]"
        require_mapping(rx, path)
        gateway_id = rx.get("gatewayId")
        if not gateway_id:
            raise UplinkFormatError(f"{path}.gatewayId: missing")
        rx_time = rx.get("gwTime") or rx.get("nsTime") or rx.get("time")
        out.append(
            GatewayReception(
                gateway_id=str(gateway_id).lower(),
                gateway_eui=str(gateway_id).lower(),  # in ChirpStack v4 the gateway id is its EUI
                rssi=opt_float(rx, "rssi", path),
                snr=opt_float(rx, "snr", path),
                location=opt_location(opt_mapping(rx, "location", path), f"{path}.location"),
                received_at=parse_timestamp(rx_time, f"{path}.gwTime") if rx_time else None,
                channel=opt_int(rx, "channel", path),
            )
        )
    return tuple(out)


def _parse_up(body: Mapping[str, Any]) -> Uplink:
    info, dev_eui = _device_info(body)
    payload = decode_payload_field(body.get("data"), "data")
    f_port = opt_int(body, "fPort", "body")
    if f_port is None and payload:
        raise UplinkFormatError("fPort: missing although data is present")
    decoded = body.get("object")
    if decoded is not None and not isinstance(decoded, Mapping):
        raise UplinkFormatError("object: expected an object")
    tx = opt_mapping(body, "txInfo", "body")
    lora = opt_mapping(opt_mapping(tx, "modulation", "txInfo"), "lora", "txInfo.modulation")
    tags = opt_mapping(info, "tags", "deviceInfo")
    dev_addr = body.get("devAddr")
    return Uplink(
        dev_eui=dev_eui,
        received_at=_time(body),
        network_server=NETWORK_SERVER,
        f_port=f_port,
        f_cnt=opt_int(body, "fCnt", "body") or 0,  # proto3 JSON omits 0
        payload=payload,
        decoded=dict(decoded) if decoded is not None else None,
        dev_addr=normalise_eui(dev_addr, "devAddr", 8) if dev_addr else None,
        application_id=_opt_str(info, "applicationId"),
        application_name=_opt_str(info, "applicationName"),
        device_name=_opt_str(info, "deviceName"),
        tenant=_opt_str(info, "tenantId") or _opt_str(info, "tenantName"),
        gateways=_rx_info(body),
        data_rate=opt_int(body, "dr", "body"),
        spreading_factor=opt_int(lora, "spreadingFactor", "txInfo.modulation.lora"),
        bandwidth=opt_int(lora, "bandwidth", "txInfo.modulation.lora"),
        coding_rate=normalise_coding_rate(lora.get("codeRate")),
        frequency=opt_int(tx, "frequency", "txInfo"),
        confirmed=bool(body.get("confirmed", False)),
        adr=bool(body.get("adr", False)),
        tags={str(k): str(v) for k, v in tags.items()},
        event_id=_opt_str(body, "deduplicationId"),
    )


def _parse_join(body: Mapping[str, Any]) -> JoinEvent:
    info, dev_eui = _device_info(body)
    dev_addr = body.get("devAddr")
    return JoinEvent(
        dev_eui=dev_eui,
        received_at=_time(body),
        network_server=NETWORK_SERVER,
        dev_addr=normalise_eui(dev_addr, "devAddr", 8) if dev_addr else None,
        application_id=_opt_str(info, "applicationId"),
        application_name=_opt_str(info, "applicationName"),
        device_name=_opt_str(info, "deviceName"),
        tenant=_opt_str(info, "tenantId") or _opt_str(info, "tenantName"),
        event_id=_opt_str(body, "deduplicationId"),
    )


def _parse_status(body: Mapping[str, Any]) -> StatusEvent:
    info, dev_eui = _device_info(body)
    unavailable = bool(body.get("batteryLevelUnavailable", False))
    return StatusEvent(
        dev_eui=dev_eui,
        received_at=_time(body),
        network_server=NETWORK_SERVER,
        margin=opt_int(body, "margin", "body"),
        battery_level=None if unavailable else opt_float(body, "batteryLevel", "body"),
        battery_level_unavailable=unavailable,
        external_power_source=bool(body.get("externalPowerSource", False)),
        application_id=_opt_str(info, "applicationId"),
        device_name=_opt_str(info, "deviceName"),
        tenant=_opt_str(info, "tenantId") or _opt_str(info, "tenantName"),
        event_id=_opt_str(body, "deduplicationId"),
    )


def parse_chirpstack_v4(event_type: str, body: dict[str, Any]) -> Uplink | JoinEvent | StatusEvent:
    """Parse a ChirpStack v4 JSON event; `event_type` is the `?event=` query value or MQTT topic suffix."""
    require_mapping(body, "body")
    if event_type == "up":
        return _parse_up(body)
    if event_type == "join":
        return _parse_join(body)
    if event_type == "status":
        return _parse_status(body)
    raise UplinkFormatError(
        f"event: unsupported ChirpStack event type {event_type!r} (expected one of {_EVENTS})"
    )


def _dedup_id(uplink: Uplink) -> str:
    """Stable UUID so that re-sending the same uplink is recognisable as a duplicate."""
    name = f"{uplink.dev_eui}/{uplink.f_cnt}/{uplink.received_at.isoformat()}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gelsencloud:chirpstack:{name}"))


def chirpstack_v4_body(uplink: Uplink) -> dict[str, Any]:
    """Build a ChirpStack v4 `up` event body (JSON, camelCase, defaults omitted) from an Uplink."""
    info: dict[str, Any] = {}
    for key, value in (
        ("tenantId", uplink.tenant),
        ("applicationId", uplink.application_id),
        ("applicationName", uplink.application_name),
        ("deviceName", uplink.device_name),
    ):
        if value is not None:
            info[key] = value
    info["devEui"] = uplink.dev_eui
    if uplink.tags:
        info["tags"] = dict(uplink.tags)
    body: dict[str, Any] = {
        "deduplicationId": uplink.event_id or _dedup_id(uplink),
        "time": format_timestamp(uplink.received_at),
        "deviceInfo": info,
    }
    if uplink.dev_addr:
        body["devAddr"] = uplink.dev_addr
    # proto3 JSON mapping leaves out default values; mimic it so parsers get tested against that
    if uplink.adr:
        body["adr"] = True
    if uplink.data_rate:
        body["dr"] = uplink.data_rate
    if uplink.f_cnt:
        body["fCnt"] = uplink.f_cnt
    if uplink.f_port:
        body["fPort"] = uplink.f_port
    if uplink.confirmed:
        body["confirmed"] = True
    if uplink.payload:
        body["data"] = base64.b64encode(uplink.payload).decode("ascii")
    if uplink.decoded is not None:
        body["object"] = uplink.decoded
    rx_info = []
    for gw in uplink.gateways:
        rx: dict[str, Any] = {"gatewayId": gw.gateway_id}
        if gw.received_at is not None:
            rx["gwTime"] = format_timestamp(gw.received_at)
        if gw.rssi is not None:
            rx["rssi"] = int(gw.rssi) if float(gw.rssi).is_integer() else gw.rssi
        if gw.snr is not None:
            rx["snr"] = gw.snr
        if gw.channel:
            rx["channel"] = gw.channel
        if gw.location is not None:
            loc: dict[str, Any] = {"latitude": gw.location.latitude, "longitude": gw.location.longitude}
            if gw.location.altitude is not None:
                loc["altitude"] = gw.location.altitude
            rx["location"] = loc
        rx_info.append(rx)
    if rx_info:
        body["rxInfo"] = rx_info
    tx: dict[str, Any] = {}
    if uplink.frequency:
        tx["frequency"] = uplink.frequency
    lora: dict[str, Any] = {}
    if uplink.bandwidth:
        lora["bandwidth"] = uplink.bandwidth
    if uplink.spreading_factor:
        lora["spreadingFactor"] = uplink.spreading_factor
    if uplink.coding_rate:
        lora["codeRate"] = "CR_" + uplink.coding_rate.replace("/", "_")
    if lora:
        tx["modulation"] = {"lora": lora}
    if tx:
        body["txInfo"] = tx
    return body
