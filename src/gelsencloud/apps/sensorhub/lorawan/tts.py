"""The Things Stack v3 uplink messages (webhook and MQTT JSON): parse and build."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from .model import (
    GatewayReception,
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

__all__ = ["NETWORK_SERVER", "parse_tts_v3", "tts_v3_body"]

NETWORK_SERVER = "tts"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _rx_metadata(msg: Mapping[str, Any]) -> tuple[GatewayReception, ...]:
    items = msg.get("rx_metadata") or []
    if not isinstance(items, list):
        raise UplinkFormatError("uplink_message.rx_metadata: expected a list")
    out = []
    for i, rx in enumerate(items):
        path = f"uplink_message.rx_metadata[{i}]"
        require_mapping(rx, path)
        ids = opt_mapping(rx, "gateway_ids", path)
        gateway_id = ids.get("gateway_id")
        if not gateway_id:
            raise UplinkFormatError(f"{path}.gateway_ids.gateway_id: missing")
        eui = ids.get("eui")
        rssi = opt_float(rx, "rssi", path)
        if rssi is None:
            rssi = opt_float(rx, "channel_rssi", path)
        rx_time = rx.get("time")
        out.append(
            GatewayReception(
                gateway_id=str(gateway_id),
                gateway_eui=normalise_eui(eui, f"{path}.gateway_ids.eui") if eui else None,
                rssi=rssi,
                # "empty fields are omitted": a missing snr on a reception that has rssi means 0 dB
                snr=opt_float(rx, "snr", path) if "snr" in rx or rssi is None else 0.0,
                location=opt_location(opt_mapping(rx, "location", path), f"{path}.location"),
                received_at=parse_timestamp(rx_time, f"{path}.time") if rx_time else None,
                channel=opt_int(rx, "channel_index", path),
            )
        )
    return tuple(out)


def _event_id(body: Mapping[str, Any]) -> str | None:
    ids = body.get("correlation_ids") or []
    if not isinstance(ids, list):
        raise UplinkFormatError("correlation_ids: expected a list")
    for cid in ids:
        if isinstance(cid, str) and cid.startswith("as:up:"):
            return cid
    return str(ids[0]) if ids else None


def parse_tts_v3(body: dict[str, Any], *, tenant: str | None = None) -> Uplink:
    """Parse a TTS v3 uplink message; `tenant` may come from the MQTT topic (`app@tenant`)."""
    require_mapping(body, "body")
    ids = body.get("end_device_ids")
    if not isinstance(ids, Mapping):
        raise UplinkFormatError("end_device_ids: missing or not an object")
    msg = body.get("uplink_message")
    if not isinstance(msg, Mapping):
        raise UplinkFormatError("uplink_message: missing or not an object (not an uplink message?)")
    dev_eui = normalise_eui(ids.get("dev_eui"), "end_device_ids.dev_eui")
    app_ids = opt_mapping(ids, "application_ids", "end_device_ids")
    application_id = app_ids.get("application_id")
    if not application_id:
        raise UplinkFormatError("end_device_ids.application_ids.application_id: missing")
    device_id = ids.get("device_id")
    if not device_id:
        raise UplinkFormatError("end_device_ids.device_id: missing")

    # the network server's reception time is closer to the air time than the top-level AS time
    received = msg.get("received_at") or body.get("received_at")
    if not received:
        raise UplinkFormatError("received_at: missing (neither top level nor uplink_message)")
    payload = decode_payload_field(msg.get("frm_payload"), "uplink_message.frm_payload")
    f_port = opt_int(msg, "f_port", "uplink_message")
    if f_port is None and payload:
        # TTS omits zero values, but it never forwards FPort 0 (MAC) payloads to applications
        raise UplinkFormatError("uplink_message.f_port: missing although frm_payload is present")
    decoded = msg.get("decoded_payload")
    if decoded is not None and not isinstance(decoded, Mapping):
        raise UplinkFormatError("uplink_message.decoded_payload: expected an object")

    settings = opt_mapping(msg, "settings", "uplink_message")
    data_rate = opt_mapping(settings, "data_rate", "uplink_message.settings")
    lora = opt_mapping(data_rate, "lora", "uplink_message.settings.data_rate")
    # older TTS versions put coding_rate in settings, newer ones in data_rate.lora
    coding_rate = lora.get("coding_rate") or settings.get("coding_rate")
    network_ids = opt_mapping(msg, "network_ids", "uplink_message")
    locations = opt_mapping(msg, "locations", "uplink_message")
    user_loc = opt_mapping(locations, "user", "uplink_message.locations")
    attributes = opt_mapping(msg, "attributes", "uplink_message")
    dev_addr = ids.get("dev_addr")
    join_eui = ids.get("join_eui")
    return Uplink(
        dev_eui=dev_eui,
        received_at=parse_timestamp(received, "received_at"),
        network_server=NETWORK_SERVER,
        f_port=f_port,
        f_cnt=opt_int(msg, "f_cnt", "uplink_message") or 0,
        payload=payload,
        decoded=dict(decoded) if decoded is not None else None,
        dev_addr=normalise_eui(dev_addr, "end_device_ids.dev_addr", 8) if dev_addr else None,
        join_eui=normalise_eui(join_eui, "end_device_ids.join_eui") if join_eui else None,
        application_id=str(application_id),
        application_name=None,  # TTS messages carry only the application id
        device_name=str(device_id),
        tenant=tenant or (str(network_ids["tenant_id"]) if network_ids.get("tenant_id") else None),
        gateways=_rx_metadata(msg),
        data_rate=opt_int(settings, "data_rate_index", "uplink_message.settings"),
        spreading_factor=opt_int(lora, "spreading_factor", "uplink_message.settings.data_rate.lora"),
        bandwidth=opt_int(lora, "bandwidth", "uplink_message.settings.data_rate.lora"),
        coding_rate=normalise_coding_rate(coding_rate),
        frequency=opt_int(settings, "frequency", "uplink_message.settings"),  # a string in TTS JSON
        confirmed=bool(msg.get("confirmed", False)),
        adr=False,  # not part of the TTS application uplink
        device_location=opt_location(user_loc, "uplink_message.locations.user"),
        tags={str(k): str(v) for k, v in attributes.items()},
        event_id=_event_id(body),
        simulated=bool(body.get("simulated", False)),
    )


def _ulid_like(uplink: Uplink) -> str:
    """Deterministic 26-character Crockford base32 id shaped like the ULIDs in TTS correlation ids."""
    digest = hashlib.sha256(
        f"{uplink.dev_eui}/{uplink.f_cnt}/{uplink.received_at.isoformat()}".encode()
    ).digest()
    number = int.from_bytes(digest[:17], "big") >> 6  # 130 bits -> 26 base32 digits
    return "".join(_CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(26)))


def tts_v3_body(uplink: Uplink) -> dict[str, Any]:
    """Build a TTS v3 uplink message (webhook/MQTT JSON, snake_case, empty fields omitted)."""
    ids: dict[str, Any] = {
        "device_id": uplink.device_name or f"eui-{uplink.dev_eui}",
        "application_ids": {"application_id": uplink.application_id or "gelsencloud"},
        "dev_eui": uplink.dev_eui.upper(),
    }
    if uplink.join_eui:
        ids["join_eui"] = uplink.join_eui.upper()
    if uplink.dev_addr:
        ids["dev_addr"] = uplink.dev_addr.upper()
    received = format_timestamp(uplink.received_at, zulu=True)
    msg: dict[str, Any] = {}
    if uplink.f_port:
        msg["f_port"] = uplink.f_port
    if uplink.f_cnt:
        msg["f_cnt"] = uplink.f_cnt
    if uplink.payload:
        msg["frm_payload"] = base64.b64encode(uplink.payload).decode("ascii")
    if uplink.decoded is not None:
        msg["decoded_payload"] = uplink.decoded
    rx_metadata = []
    for gw in uplink.gateways:
        gw_ids: dict[str, Any] = {"gateway_id": gw.gateway_id}
        if gw.gateway_eui:
            gw_ids["eui"] = gw.gateway_eui.upper()
        rx: dict[str, Any] = {"gateway_ids": gw_ids}
        if gw.received_at is not None:
            rx["time"] = format_timestamp(gw.received_at, zulu=True)
        if gw.rssi is not None:
            rx["rssi"] = gw.rssi
            rx["channel_rssi"] = gw.rssi
        if gw.snr:
            rx["snr"] = gw.snr
        if gw.channel:
            rx["channel_index"] = gw.channel
        if gw.location is not None:
            loc: dict[str, Any] = {"latitude": gw.location.latitude, "longitude": gw.location.longitude}
            if gw.location.altitude is not None:
                loc["altitude"] = gw.location.altitude
            loc["source"] = gw.location.source or "SOURCE_REGISTRY"
            rx["location"] = loc
        rx_metadata.append(rx)
    if rx_metadata:
        msg["rx_metadata"] = rx_metadata
    lora: dict[str, Any] = {}
    if uplink.bandwidth:
        lora["bandwidth"] = uplink.bandwidth
    if uplink.spreading_factor:
        lora["spreading_factor"] = uplink.spreading_factor
    settings: dict[str, Any] = {}
    if lora:
        settings["data_rate"] = {"lora": lora}
    if uplink.data_rate:
        settings["data_rate_index"] = uplink.data_rate
    if uplink.coding_rate:
        settings["coding_rate"] = uplink.coding_rate
    if uplink.frequency:
        settings["frequency"] = str(uplink.frequency)  # proto uint64 -> JSON string
    if settings:
        msg["settings"] = settings
    msg["received_at"] = received
    if uplink.confirmed:
        msg["confirmed"] = True
    if uplink.device_location is not None:
        loc = {"latitude": uplink.device_location.latitude, "longitude": uplink.device_location.longitude}
        if uplink.device_location.altitude is not None:
            loc["altitude"] = uplink.device_location.altitude
        loc["source"] = uplink.device_location.source or "SOURCE_REGISTRY"
        msg["locations"] = {"user": loc}
    if uplink.tenant:
        msg["network_ids"] = {"tenant_id": uplink.tenant}
    if uplink.tags:
        msg["attributes"] = dict(uplink.tags)
    body: dict[str, Any] = {
        "end_device_ids": ids,
        "correlation_ids": [
            uplink.event_id if (uplink.event_id or "").startswith("as:up:") else f"as:up:{_ulid_like(uplink)}"
        ],
        "received_at": received,
        "uplink_message": msg,
    }
    if uplink.simulated:
        body["simulated"] = True
    return body
