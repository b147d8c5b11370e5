"""LoRaWAN 1.0.x frame encoding, encryption and MIC tests."""

from __future__ import annotations

import pytest

from gelsencloud.apps.sensorhub.lorawan.frames import (
    DataFrame,
    FrameError,
    MicError,
    MType,
    SessionKeys,
    build_uplink,
    compute_mic,
    crypt_frm_payload,
    decode_frame,
    encode_phy_payload,
    parse_phy_payload,
    verify_mic,
)

# Test vector from the lora-packet library README (github.com/anthonykirby/lora-packet), re-verified here
# by decoding and by rebuilding the frame byte for byte.
VECTOR = bytes.fromhex("40F17DBE4900020001954378762B11FF0D")
KEYS = SessionKeys.from_hex("44024241ed4ce9a68c6a8bc055233fd3", "ec925802ae430ca77fd3dd73cb2cc588")


def test_vector_structure() -> None:
    frame = parse_phy_payload(VECTOR)
    assert frame.mtype is MType.UNCONFIRMED_DATA_UP
    assert frame.dev_addr == "49be7df1"
    assert frame.fcnt == 2
    assert frame.fport == 1
    assert frame.frm_payload == bytes.fromhex("95437876")
    assert frame.mic == bytes.fromhex("2B11FF0D")
    assert frame.fopts == b""
    assert not frame.adr and not frame.ack and frame.uplink and not frame.confirmed


def test_vector_decrypt_and_mic() -> None:
    frame = decode_frame(VECTOR, KEYS)
    assert frame.payload == b"test"
    assert verify_mic(VECTOR, KEYS.nwk_s_key)
    assert compute_mic(frame, KEYS.nwk_s_key) == bytes.fromhex("2B11FF0D")


def test_vector_rebuilt_byte_for_byte() -> None:
    assert build_uplink("49be7df1", 2, 1, b"test", KEYS) == VECTOR
    assert build_uplink(0x49BE7DF1, 2, 1, b"test", KEYS) == VECTOR


def test_encode_parse_identity() -> None:
    assert encode_phy_payload(parse_phy_payload(VECTOR)) == VECTOR


def test_mic_failure_detected() -> None:
    tampered = bytearray(VECTOR)
    tampered[9] ^= 0x01  # flip one bit of the encrypted payload
    assert not verify_mic(bytes(tampered), KEYS.nwk_s_key)
    with pytest.raises(MicError, match="MIC mismatch for DevAddr 49be7df1 FCnt 2"):
        decode_frame(bytes(tampered), KEYS)


def test_wrong_key_fails_mic() -> None:
    other = SessionKeys(bytes(16), KEYS.app_s_key)
    with pytest.raises(MicError):
        decode_frame(VECTOR, other)
    # without MIC check the (wrong) decryption still runs; the MIC is the only integrity guard
    assert decode_frame(VECTOR, other, check_mic=False).payload == b"test"


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 51, 222])
def test_round_trip_payload_lengths(length: int) -> None:
    payload = bytes(range(length % 256)) * (length // 256) + bytes(range(length % 256))
    payload = payload[:length]
    phy = build_uplink("26011bda", 1000 + length, 10, payload, KEYS)
    frame = decode_frame(phy, KEYS)
    assert frame.payload == payload
    assert frame.fport == 10


def test_round_trip_confirmed_adr_fopts_and_32bit_fcnt() -> None:
    fcnt = 0x0001_0005  # upper 16 bits are not on air; the server supplies them
    phy = build_uplink(
        "01020304", fcnt, 42, b"\x01\x02\x03", KEYS, confirmed=True, adr=True, fopts=b"\x02", ack=True
    )
    assert phy[0] == 0x80  # MHDR confirmed data up
    frame = parse_phy_payload(phy)
    assert (frame.confirmed, frame.adr, frame.ack, frame.fopts, frame.fcnt) == (True, True, True, b"\x02", 5)
    with pytest.raises(MicError):
        decode_frame(phy, KEYS)  # wrong counter high bits
    assert decode_frame(phy, KEYS, fcnt_high=1).payload == b"\x01\x02\x03"


def test_encryption_is_symmetric() -> None:
    data = b"hello gelsenkirchen, 0123456789"
    enc = crypt_frm_payload(KEYS.app_s_key, "49be7df1", 7, True, data)
    assert enc != data
    assert crypt_frm_payload(KEYS.app_s_key, "49be7df1", 7, True, enc) == data
    # direction is part of the keystream
    assert crypt_frm_payload(KEYS.app_s_key, "49be7df1", 7, False, data) != enc


def test_frame_without_fport() -> None:
    frame = DataFrame(MType.UNCONFIRMED_DATA_UP, "49be7df1", 3, None)
    mic = compute_mic(frame, KEYS.nwk_s_key)
    phy = encode_phy_payload(DataFrame(MType.UNCONFIRMED_DATA_UP, "49be7df1", 3, None, mic=mic))
    assert len(phy) == 12
    decoded = decode_frame(phy, KEYS)
    assert decoded.fport is None and decoded.payload == b""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes.fromhex("40F17DBE49"), "frame too short: expected at least 12 bytes, got 5"),
        (bytes.fromhex("00") + bytes(20), "not a data frame: MType JOIN_REQUEST"),
        (bytes.fromhex("41") + bytes(12), "unsupported LoRaWAN major version 1"),
        (bytes.fromhex("40F17DBE490F020001954378"), "frame too short for FOptsLen 15"),
    ],
)
def test_malformed_frames(data: bytes, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        parse_phy_payload(data)


def test_bad_inputs() -> None:
    with pytest.raises(FrameError, match="NwkSKey must be 16 bytes"):
        SessionKeys(b"\x00" * 15, bytes(16))
    with pytest.raises(FrameError, match="application FPort must be 1..255"):
        build_uplink("49be7df1", 1, 0, b"x", KEYS)
    with pytest.raises(FrameError, match="DevAddr must be 4 bytes"):
        build_uplink("49be7d", 1, 1, b"x", KEYS)
    with pytest.raises(FrameError, match="FOpts too long"):
        build_uplink("49be7df1", 1, 1, b"x", KEYS, fopts=bytes(16))
