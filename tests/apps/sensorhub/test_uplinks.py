"""ChirpStack v4 and The Things Stack v3 uplink parsing, building and topics."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gelsencloud.apps.sensorhub.lorawan.uplinks import (
    GatewayReception,
    JoinEvent,
    Location,
    StatusEvent,
    Uplink,
    UplinkFormatError,
    chirpstack_topic,
    chirpstack_v4_body,
    decode_payload_field,
    load_chirpstack_body,
    parse_chirpstack_topic,
    parse_chirpstack_v4,
    parse_timestamp,
    parse_tts_topic,
    parse_tts_v3,
    tts_topic,
    tts_v3_body,
)

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


# --- ChirpStack v4 -------------------------------------------------------------------------------------


def test_chirpstack_docs_example() -> None:
    up = parse_chirpstack_v4("up", load("chirpstack_v4_up.json"))
    assert isinstance(up, Uplink)
    assert up.network_server == "chirpstack"
    assert up.dev_eui == "0101010101010101"
    assert up.dev_addr == "00189440"
    assert up.application_id == "17c82e96-be03-4f38-aef3-f83d48582d97"
    assert up.application_name == "Test application"
    assert up.device_name == "Test device"
    assert up.tenant == "52f14cd4-c6f1-4fbd-8f87-4025e1d49242"
    assert up.f_port == 1
    assert up.f_cnt == 0  # omitted in the example: proto3 default
    assert up.payload == b"\xaa"
    assert up.decoded is None
    assert up.received_at == datetime(2022, 7, 18, 9, 34, 15, 775023, tzinfo=UTC)
    assert up.data_rate == 1
    assert (up.spreading_factor, up.bandwidth, up.coding_rate, up.frequency) == (11, 125000, "4/5", 867100000)
    assert up.gateways == (GatewayReception("0016c001f153a14c", -36, 10.5, "0016c001f153a14c"),)
    assert (up.best_rssi, up.best_snr) == (-36, 10.5)
    assert up.confirmed is False and up.adr is False
    assert up.tags == {"key": "value"}
    assert up.event_id == "3ac7e3c4-4401-4b8d-9386-a5c902f9202d"


def test_chirpstack_object_and_missing_rxinfo() -> None:
    body = load("chirpstack_v4_up.json")
    body["object"] = {"temperature_sensor": {"1": 23.5}}
    body["fCnt"] = 17
    body["confirmed"] = True
    body["deviceInfo"]["devEui"] = "0004A30B001C0530"
    del body["rxInfo"], body["txInfo"]
    up = parse_chirpstack_v4("up", body)
    assert up.decoded == {"temperature_sensor": {"1": 23.5}}
    assert up.f_cnt == 17 and up.confirmed
    assert up.dev_eui == "0004a30b001c0530"
    assert up.gateways == () and up.best_rssi is None and up.best_snr is None and up.best_gateway is None
    assert up.frequency is None and up.spreading_factor is None


def test_chirpstack_status_and_join() -> None:
    status = parse_chirpstack_v4("status", load("chirpstack_v4_status.json"))
    assert isinstance(status, StatusEvent)
    assert (status.margin, status.battery_level, status.dev_eui) == (10, 88.3, "0101010101010101")
    body = load("chirpstack_v4_up.json")
    join = parse_chirpstack_v4(
        "join", {k: body[k] for k in ("deduplicationId", "time", "deviceInfo", "devAddr")}
    )
    assert isinstance(join, JoinEvent)
    assert join.dev_addr == "00189440" and join.device_name == "Test device"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.pop("deviceInfo"), "deviceInfo: missing"),
        (lambda b: b["deviceInfo"].pop("devEui"), "deviceInfo.devEui: missing"),
        (
            lambda b: b["deviceInfo"].update(devEui="01010101"),
            "deviceInfo.devEui: expected 16 hex characters",
        ),
        (lambda b: b.pop("time"), "time: missing"),
        (lambda b: b.update(time="yesterday"), "time: invalid timestamp"),
        (lambda b: b.pop("fPort"), "fPort: missing although data is present"),
        (lambda b: b.update(data="!!not base64!!"), "data: neither base64 nor hex"),
        (lambda b: b.update(fPort="one"), "body.fPort: expected an integer"),
        (lambda b: b["rxInfo"][0].pop("gatewayId"), r"rxInfo\[0\].gatewayId: missing"),
        (lambda b: b.update(object=[1]), "object: expected an object"),
    ],
)
def test_chirpstack_errors(mutate: Any, message: str) -> None:
    body = load("chirpstack_v4_up.json")
    mutate(body)
    with pytest.raises(UplinkFormatError, match=message):
        parse_chirpstack_v4("up", body)


def test_chirpstack_unknown_event_and_protobuf() -> None:
    with pytest.raises(UplinkFormatError, match="unsupported ChirpStack event type 'ack'"):
        parse_chirpstack_v4("ack", load("chirpstack_v4_up.json"))
    with pytest.raises(UplinkFormatError, match="binary Protobuf"):
        load_chirpstack_body(b"\x0a\x24", "application/octet-stream")
    with pytest.raises(UplinkFormatError, match="not JSON"):
        load_chirpstack_body(b"\x0a\x24\xff", None)
    raw = (FIXTURES / "chirpstack_v4_up.json").read_bytes()
    assert load_chirpstack_body(raw, "application/json")["devAddr"] == "00189440"


# --- The Things Stack v3 -------------------------------------------------------------------------------


def test_tts_docs_example_is_invalid_json_verbatim() -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads((FIXTURES / "tts_v3_uplink_docs_verbatim.txt").read_text())


def test_tts_docs_example() -> None:
    up = parse_tts_v3(load("tts_v3_uplink.json"))
    assert up.network_server == "tts"
    assert up.dev_eui == "0004a30b001c0530"
    assert up.join_eui == "800000000000000c"
    assert up.dev_addr == "00bcb929"
    assert up.application_id == "app1" and up.device_name == "dev1" and up.application_name is None
    assert up.tenant == "tenant1"
    assert (up.f_port, up.f_cnt) == (1, 1)
    assert up.payload == bytes.fromhex("8241de")
    assert up.decoded == {"temperature": 1.0, "luminosity": 0.64}
    assert up.received_at == datetime(2020, 2, 12, 15, 15, 45, 789585, tzinfo=UTC)
    assert (up.spreading_factor, up.bandwidth, up.coding_rate, up.frequency) == (7, 125000, "4/6", 868300000)
    gw = up.gateways[0]
    assert (gw.gateway_id, gw.gateway_eui, gw.rssi, gw.snr, gw.channel) == (
        "gtw1",
        "9c5c8e00001a05c4",
        -35,
        5,
        2,
    )
    assert gw.received_at == datetime(2020, 2, 12, 15, 15, 45, 787000, tzinfo=UTC)
    assert up.device_location == Location(37.97155556731436, 23.72678801175413, 10, "SOURCE_REGISTRY")
    assert up.tags == {"key1": "value1", "key2": "value2"}
    assert up.event_id == "as:up:01E0WZGT6Y7657CPFPE5WEYDSQ"


def test_tts_topic_tenant_and_fallbacks() -> None:
    body = load("tts_v3_uplink.json")
    del body["uplink_message"]["received_at"], body["uplink_message"]["f_cnt"]
    body["uplink_message"]["settings"]["data_rate"]["lora"]["coding_rate"] = "4/5"
    del body["uplink_message"]["rx_metadata"]
    up = parse_tts_v3(body, tenant="gelsenkirchen")
    assert up.tenant == "gelsenkirchen"
    assert up.received_at == datetime(2020, 2, 12, 15, 15, 46, 14773, tzinfo=UTC)  # top-level received_at
    assert up.f_cnt == 0 and up.coding_rate == "4/5" and up.gateways == ()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.pop("end_device_ids"), "end_device_ids: missing"),
        (lambda b: b.pop("uplink_message"), "uplink_message: missing"),
        (lambda b: b["end_device_ids"].pop("dev_eui"), "end_device_ids.dev_eui: missing"),
        (
            lambda b: b["end_device_ids"]["application_ids"].pop("application_id"),
            "end_device_ids.application_ids.application_id: missing",
        ),
        (lambda b: b["uplink_message"].pop("f_port"), "uplink_message.f_port: missing although frm_payload"),
        (lambda b: (b.pop("received_at"), b["uplink_message"].pop("received_at")), "received_at: missing"),
        (
            lambda b: b["uplink_message"]["settings"].update(frequency="868.3MHz"),
            "uplink_message.settings.frequency: expected an integer",
        ),
        (
            lambda b: b["uplink_message"]["rx_metadata"][0]["gateway_ids"].pop("gateway_id"),
            r"rx_metadata\[0\].gateway_ids.gateway_id: missing",
        ),
    ],
)
def test_tts_errors(mutate: Any, message: str) -> None:
    body = load("tts_v3_uplink.json")
    mutate(body)
    with pytest.raises(UplinkFormatError, match=message):
        parse_tts_v3(body)


# --- round trips ---------------------------------------------------------------------------------------

DEMO = Uplink(
    dev_eui="a84041000181c4b2",
    received_at=datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
    network_server="chirpstack",
    f_port=2,
    f_cnt=4711,
    payload=bytes.fromhex("0ce40a2400010501"),
    decoded={"distance": 2596},
    dev_addr="260b1234",
    application_id="5e1d7a3c-8f1e-4a6b-9d2e-0c3b4a5d6e7f",
    application_name="Abfallbehaelter",
    device_name="fill-altstadt-001",
    tenant="6b0f1b8a-2f4e-4c7d-9a1b-3c5d7e9f1a2b",
    gateways=(
        GatewayReception(
            "b827ebfffe6a1c2d",
            -97.0,
            3.5,
            "b827ebfffe6a1c2d",
            Location(51.5177, 7.0857, 60.0),
            datetime(2024, 5, 6, 7, 8, 9, 100000, tzinfo=UTC),
            3,
        ),
        GatewayReception("b827ebfffe6a1c2e", -112.0, -7.25, "b827ebfffe6a1c2e"),
    ),
    data_rate=5,
    spreading_factor=7,
    bandwidth=125000,
    coding_rate="4/5",
    frequency=868100000,
    confirmed=True,
    adr=True,
    tags={"district": "Altstadt"},
    event_id="0b7d3c39-4a51-4c1b-9bd8-5a3f0f0e3e11",
)


def test_chirpstack_round_trip() -> None:
    body = chirpstack_v4_body(DEMO)
    assert body["data"] == "DOQKJAABBQE="
    assert body["txInfo"]["modulation"]["lora"]["codeRate"] == "CR_4_5"
    assert body["time"] == "2024-05-06T07:08:09.123456000+00:00"
    assert parse_chirpstack_v4("up", json.loads(json.dumps(body))) == DEMO
    assert DEMO.best_rssi == -97 and DEMO.best_snr == 3.5 and DEMO.best_gateway is DEMO.gateways[0]


def test_chirpstack_builder_omits_defaults() -> None:
    minimal = Uplink(
        "0101010101010101", datetime(2024, 1, 1, tzinfo=UTC), "chirpstack", f_port=1, payload=b"\xaa"
    )
    body = chirpstack_v4_body(minimal)
    assert not {"fCnt", "confirmed", "adr", "rxInfo", "object"} & body.keys()
    assert replace(parse_chirpstack_v4("up", body), event_id=None) == minimal


def test_tts_round_trip() -> None:
    tts_demo = replace(
        DEMO,
        network_server="tts",
        application_id="abfall",
        application_name=None,
        adr=False,
        event_id="as:up:01HX0000000000000000000000",
        device_location=Location(51.5, 7.1, 55.0, "SOURCE_REGISTRY"),
        join_eui="70b3d57ed0000000",
        gateways=(
            GatewayReception(
                "gw-altstadt",
                -97.0,
                3.5,
                "b827ebfffe6a1c2d",
                Location(51.5177, 7.0857, 60.0, "SOURCE_REGISTRY"),
                datetime(2024, 5, 6, 7, 8, 9, 100000, tzinfo=UTC),
                3,
            ),
        ),
    )
    body = tts_v3_body(tts_demo)
    assert body["end_device_ids"]["dev_eui"] == "A84041000181C4B2"
    assert body["uplink_message"]["settings"]["frequency"] == "868100000"
    assert body["received_at"].endswith("123456000Z")
    assert parse_tts_v3(json.loads(json.dumps(body))) == tts_demo


def test_cross_format_round_trip_keeps_measurement() -> None:
    up = parse_chirpstack_v4("up", load("chirpstack_v4_up.json"))
    via_tts = parse_tts_v3(tts_v3_body(up))
    for name in (
        "dev_eui",
        "f_port",
        "f_cnt",
        "payload",
        "received_at",
        "frequency",
        "spreading_factor",
        "coding_rate",
        "best_rssi",
        "best_snr",
        "device_name",
        "tenant",
    ):
        assert getattr(via_tts, name) == getattr(up, name), name
    assert via_tts.event_id and via_tts.event_id.startswith("as:up:") and len(via_tts.event_id) == 32
    assert tts_v3_body(up) == tts_v3_body(up)  # deterministic ids


# --- helpers and topics --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-07-18T09:34:15.775023242+00:00", datetime(2022, 7, 18, 9, 34, 15, 775023, tzinfo=UTC)),
        ("2020-02-12T15:15:46.014773143Z", datetime(2020, 2, 12, 15, 15, 46, 14773, tzinfo=UTC)),
        ("2020-02-12T15:15:45.787Z", datetime(2020, 2, 12, 15, 15, 45, 787000, tzinfo=UTC)),
        ("2020-02-12T15:15:45Z", datetime(2020, 2, 12, 15, 15, 45, tzinfo=UTC)),
        ("2020-02-12T17:15:45.5+02:00", datetime(2020, 2, 12, 15, 15, 45, 500000, tzinfo=UTC)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text, "time")
    assert parsed == expected and parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("qg==", b"\xaa"),
        ("gkHe", b"\x82\x41\xde"),
        ("0x0aff", b"\x0a\xff"),
        ("0aff12", b"\x0a\xff\x12"),
        ("", b""),
        ("AQID", b"\x01\x02\x03"),
        ("_-8", b"\xff\xef"),
    ],
)
def test_payload_base64_and_hex(text: str, expected: bytes) -> None:
    assert decode_payload_field(text, "data") == expected


def test_topics() -> None:
    cs = parse_chirpstack_topic(
        "application/17c82e96-be03-4f38-aef3-f83d48582d97/device/0101010101010101/event/up"
    )
    assert (cs.application_id, cs.dev_eui, cs.event) == (
        "17c82e96-be03-4f38-aef3-f83d48582d97",
        "0101010101010101",
        "up",
    )
    assert (
        parse_chirpstack_topic(chirpstack_topic("app", "0004A30B001C0530", "status")).dev_eui
        == "0004a30b001c0530"
    )
    tts = parse_tts_topic("v3/app1@tenant1/devices/dev1/up")
    assert (tts.application_id, tts.tenant, tts.device_id, tts.event) == ("app1", "tenant1", "dev1", "up")
    oss = parse_tts_topic("v3/app1/devices/dev1/down/queued")
    assert (oss.tenant, oss.event) == (None, "down/queued")
    assert tts_topic("app1", "dev1", tenant="tenant1") == "v3/app1@tenant1/devices/dev1/up"
    for bad in ("application/x/device/0101/event/up", "application/x/devices/0101010101010101/event/up"):
        with pytest.raises(UplinkFormatError, match="topic"):
            parse_chirpstack_topic(bad)
    with pytest.raises(UplinkFormatError, match=r"expected v3/\{application_id\}"):
        parse_tts_topic("v2/app1/devices/dev1/up")


def test_fixture_untouched_by_parsing() -> None:
    body = load("tts_v3_uplink.json")
    snapshot = copy.deepcopy(body)
    parse_tts_v3(body)
    assert body == snapshot
