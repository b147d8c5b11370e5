"""LoRaWAN 1.0.x data-frame (PHYPayload) encoding, decoding, payload encryption and MIC."""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass, replace
from enum import IntEnum

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

__all__ = [
    "FrameError",
    "MicError",
    "MType",
    "SessionKeys",
    "DataFrame",
    "parse_phy_payload",
    "encode_phy_payload",
    "crypt_frm_payload",
    "compute_mic",
    "verify_mic",
    "decode_frame",
    "build_uplink",
]

_MIN_FRAME_LEN = 12  # MHDR(1) + DevAddr(4) + FCtrl(1) + FCnt(2) + MIC(4)
_MAX_FOPTS = 15


class FrameError(ValueError):
    """Raised for a malformed or unsupported LoRaWAN frame."""


class MicError(FrameError):
    """Raised when a frame's message integrity code does not match."""


class MType(IntEnum):
    """LoRaWAN message types (MHDR bits 7..5)."""

    JOIN_REQUEST = 0
    JOIN_ACCEPT = 1
    UNCONFIRMED_DATA_UP = 2
    UNCONFIRMED_DATA_DOWN = 3
    CONFIRMED_DATA_UP = 4
    CONFIRMED_DATA_DOWN = 5
    REJOIN_REQUEST = 6
    PROPRIETARY = 7


_DATA_MTYPES = {
    MType.UNCONFIRMED_DATA_UP,
    MType.UNCONFIRMED_DATA_DOWN,
    MType.CONFIRMED_DATA_UP,
    MType.CONFIRMED_DATA_DOWN,
}
_UPLINK_MTYPES = {MType.UNCONFIRMED_DATA_UP, MType.CONFIRMED_DATA_UP}


def _key(value: bytes | str, name: str) -> bytes:
    """Accept a 16-byte key as bytes or 32 hex characters."""
    raw = bytes.fromhex(value) if isinstance(value, str) else bytes(value)
    if len(raw) != 16:
        raise FrameError(f"{name} must be 16 bytes (32 hex characters), got {len(raw)} bytes")
    return raw


@dataclass(frozen=True)
class SessionKeys:
    """ABP/OTAA session keys of a LoRaWAN 1.0.x device."""

    nwk_s_key: bytes
    app_s_key: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "nwk_s_key", _key(self.nwk_s_key, "NwkSKey"))
        object.__setattr__(self, "app_s_key", _key(self.app_s_key, "AppSKey"))

    @classmethod
    def from_hex(cls, nwk_s_key: str, app_s_key: str) -> SessionKeys:
        """Build keys from hex strings."""
        return cls(bytes.fromhex(nwk_s_key), bytes.fromhex(app_s_key))


def _dev_addr_bytes(dev_addr: str | bytes | int) -> bytes:
    """Return DevAddr in display (big-endian) order from hex string, int or bytes."""
    if isinstance(dev_addr, int):
        if not 0 <= dev_addr <= 0xFFFFFFFF:
            raise FrameError(f"DevAddr out of range: {dev_addr}")
        return dev_addr.to_bytes(4, "big")
    raw = bytes.fromhex(dev_addr) if isinstance(dev_addr, str) else bytes(dev_addr)
    if len(raw) != 4:
        raise FrameError(f"DevAddr must be 4 bytes, got {len(raw)}")
    return raw


@dataclass(frozen=True)
class DataFrame:
    """A LoRaWAN 1.0.x data frame; `frm_payload` is as on air, `payload` the plaintext if known."""

    mtype: MType
    dev_addr: str  # big-endian hex, lower case, e.g. "49be7df1" (as network servers display it)
    fcnt: int  # 16-bit counter as transmitted
    fport: int | None
    frm_payload: bytes = b""
    fopts: bytes = b""
    adr: bool = False
    adr_ack_req: bool = False
    ack: bool = False
    fpending: bool = False  # downlink FPending / uplink ClassB (same bit)
    major: int = 0
    mic: bytes = b""
    payload: bytes | None = None

    @property
    def uplink(self) -> bool:
        """True for data-up frames."""
        return self.mtype in _UPLINK_MTYPES

    @property
    def confirmed(self) -> bool:
        """True for confirmed data frames."""
        return self.mtype in (MType.CONFIRMED_DATA_UP, MType.CONFIRMED_DATA_DOWN)

    def mic_input(self) -> bytes:
        """Return MHDR | FHDR | FPort | FRMPayload, the bytes the MIC covers."""
        if len(self.fopts) > _MAX_FOPTS:
            raise FrameError(f"FOpts too long: at most {_MAX_FOPTS} bytes, got {len(self.fopts)}")
        if self.fport is None and self.frm_payload:
            raise FrameError("FRMPayload present but FPort is missing")
        if self.fport is not None and not 0 <= self.fport <= 255:
            raise FrameError(f"FPort out of range: {self.fport}")
        if not 0 <= self.fcnt <= 0xFFFF:
            raise FrameError(f"FCnt must fit 16 bits on air, got {self.fcnt}")
        mhdr = (int(self.mtype) << 5) | (self.major & 0x03)
        fctrl = (
            (0x80 if self.adr else 0)
            | (0x40 if self.adr_ack_req else 0)
            | (0x20 if self.ack else 0)
            | (0x10 if self.fpending else 0)
            | len(self.fopts)
        )
        out = bytes([mhdr]) + _dev_addr_bytes(self.dev_addr)[::-1] + bytes([fctrl])
        out += struct.pack("<H", self.fcnt) + self.fopts
        if self.fport is not None:
            out += bytes([self.fport]) + self.frm_payload
        return out


def parse_phy_payload(data: bytes) -> DataFrame:
    """Split a data-frame PHYPayload into its fields without any cryptography."""
    data = bytes(data)
    if len(data) < _MIN_FRAME_LEN:
        raise FrameError(f"frame too short: expected at least {_MIN_FRAME_LEN} bytes, got {len(data)}")
    mhdr = data[0]
    mtype = MType(mhdr >> 5)
    if mtype not in _DATA_MTYPES:
        raise FrameError(f"not a data frame: MType {mtype.name}")
    major = mhdr & 0x03
    if major != 0:
        raise FrameError(f"unsupported LoRaWAN major version {major}")
    fctrl = data[5]
    fopts_len = fctrl & 0x0F
    fhdr_end = 8 + fopts_len
    if len(data) < fhdr_end + 4:
        raise FrameError(f"frame too short for FOptsLen {fopts_len}: got {len(data)} bytes")
    body, mic = data[:-4], data[-4:]
    fport = body[fhdr_end] if len(body) > fhdr_end else None
    return DataFrame(
        mtype=mtype,
        major=major,
        dev_addr=data[1:5][::-1].hex(),
        adr=bool(fctrl & 0x80),
        adr_ack_req=bool(fctrl & 0x40),
        ack=bool(fctrl & 0x20),
        fpending=bool(fctrl & 0x10),
        fcnt=struct.unpack("<H", data[6:8])[0],
        fopts=data[8:fhdr_end],
        fport=fport,
        frm_payload=body[fhdr_end + 1 :] if fport is not None else b"",
        mic=mic,
    )


def encode_phy_payload(frame: DataFrame) -> bytes:
    """Serialise a frame (with its `mic`) to PHYPayload bytes."""
    if len(frame.mic) != 4:
        raise FrameError(f"MIC must be 4 bytes, got {len(frame.mic)}")
    return frame.mic_input() + frame.mic


def _full_fcnt(fcnt16: int, fcnt_high: int) -> int:
    """Combine the on-air 16-bit counter with the upper 16 bits the server tracks."""
    return ((fcnt_high & 0xFFFF) << 16) | (fcnt16 & 0xFFFF)


def _aes_ecb(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # the spec defines raw AES block operations
    return enc.update(block) + enc.finalize()


def crypt_frm_payload(key: bytes, dev_addr: str | bytes | int, fcnt: int, uplink: bool, data: bytes) -> bytes:
    """Encrypt or decrypt FRMPayload (the A-block keystream is symmetric), LoRaWAN 1.0.x section 4.3.3."""
    key = _key(key, "key")
    addr_le = _dev_addr_bytes(dev_addr)[::-1]
    direction = 0 if uplink else 1
    out = bytearray()
    for i in range((len(data) + 15) // 16):
        a_block = b"\x01" + b"\x00" * 4 + bytes([direction]) + addr_le + struct.pack("<I", fcnt) + b"\x00"
        a_block += bytes([i + 1])
        s_block = _aes_ecb(key, a_block)
        chunk = data[i * 16 : (i + 1) * 16]
        out.extend(b ^ s for b, s in zip(chunk, s_block, strict=False))
    return bytes(out)


def compute_mic(frame: DataFrame, nwk_s_key: bytes, fcnt_high: int = 0) -> bytes:
    """Return the 4-byte MIC: AES-CMAC(NwkSKey, B0 | msg)[0:4], LoRaWAN 1.0.x section 4.4."""
    msg = frame.mic_input()
    fcnt = _full_fcnt(frame.fcnt, fcnt_high)
    direction = 0 if frame.uplink else 1
    b0 = b"\x49" + b"\x00" * 4 + bytes([direction]) + _dev_addr_bytes(frame.dev_addr)[::-1]
    b0 += struct.pack("<I", fcnt) + b"\x00" + bytes([len(msg)])
    cmac = CMAC(algorithms.AES(_key(nwk_s_key, "NwkSKey")))
    cmac.update(b0 + msg)
    return cmac.finalize()[:4]


def verify_mic(phy_payload: bytes, nwk_s_key: bytes, fcnt_high: int = 0) -> bool:
    """Return True when the frame's MIC matches the one computed with NwkSKey."""
    frame = parse_phy_payload(phy_payload)
    # constant-time compare: the MIC authenticates the frame
    return hmac.compare_digest(frame.mic, compute_mic(frame, nwk_s_key, fcnt_high))


def decode_frame(
    phy_payload: bytes, keys: SessionKeys | None = None, fcnt_high: int = 0, check_mic: bool = True
) -> DataFrame:
    """Parse a data frame; with keys, check the MIC and fill `payload` with the decrypted FRMPayload."""
    frame = parse_phy_payload(phy_payload)
    if keys is None:
        return frame
    if check_mic:
        expected = compute_mic(frame, keys.nwk_s_key, fcnt_high)
        if not hmac.compare_digest(frame.mic, expected):
            raise MicError(
                f"MIC mismatch for DevAddr {frame.dev_addr} FCnt {frame.fcnt}: "
                f"frame has {frame.mic.hex()}, computed {expected.hex()}"
            )
    if frame.fport is None:
        return replace(frame, payload=b"")
    # FPort 0 carries MAC commands, encrypted with NwkSKey instead of AppSKey
    key = keys.nwk_s_key if frame.fport == 0 else keys.app_s_key
    plain = crypt_frm_payload(
        key, frame.dev_addr, _full_fcnt(frame.fcnt, fcnt_high), frame.uplink, frame.frm_payload
    )
    return replace(frame, payload=plain)


def build_uplink(
    dev_addr: str | bytes | int,
    fcnt: int,
    fport: int,
    payload: bytes,
    keys: SessionKeys,
    *,
    confirmed: bool = False,
    adr: bool = False,
    adr_ack_req: bool = False,
    ack: bool = False,
    fopts: bytes = b"",
) -> bytes:
    """Build an encrypted, MIC-signed uplink PHYPayload; `fcnt` is the full 32-bit counter."""
    if not 0 <= fcnt <= 0xFFFFFFFF:
        raise FrameError(f"FCnt out of range: {fcnt}")
    if not 1 <= fport <= 255:
        # FPort 0 would need NwkSKey-encrypted MAC commands and FOpts empty; not an application uplink
        raise FrameError(f"application FPort must be 1..255, got {fport}")
    addr_hex = _dev_addr_bytes(dev_addr).hex()
    frame = DataFrame(
        mtype=MType.CONFIRMED_DATA_UP if confirmed else MType.UNCONFIRMED_DATA_UP,
        dev_addr=addr_hex,
        fcnt=fcnt & 0xFFFF,
        fport=fport,
        frm_payload=crypt_frm_payload(keys.app_s_key, addr_hex, fcnt, True, bytes(payload)),
        fopts=bytes(fopts),
        adr=adr,
        adr_ack_req=adr_ack_req,
        ack=ack,
    )
    mic = compute_mic(frame, keys.nwk_s_key, fcnt >> 16)
    return encode_phy_payload(replace(frame, mic=mic))
