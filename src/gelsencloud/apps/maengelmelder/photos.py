"""Photo intake: check type and size, then re-encode so no metadata (EXIF, GPS, XMP) survives."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "MPO": "JPEG"}
# Decompression bombs: refuse images with more pixels than a 50-megapixel camera delivers.
Image.MAX_IMAGE_PIXELS = 50_000_000


class PhotoRejected(ValueError):
    """Raised with a message citizens understand when a photo cannot be accepted."""


@dataclass(frozen=True)
class CleanPhoto:
    """A re-encoded JPEG without metadata."""

    content: bytes
    width: int
    height: int


def clean_photo(data: bytes, *, max_bytes: int, max_edge: int) -> CleanPhoto:
    """Validate an upload and return it as a fresh JPEG built from pixels only."""
    if not data:
        raise PhotoRejected("Die Fotodatei ist leer.")
    if len(data) > max_bytes:
        raise PhotoRejected(
            f"Das Foto ist zu groß ({len(data) / 1_048_576:.1f} MB); erlaubt sind höchstens "
            f"{max_bytes / 1_048_576:.0f} MB."
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in ACCEPTED_FORMATS:
            raise PhotoRejected("Bitte laden Sie ein Foto als JPEG, PNG oder WebP hoch.")
        with Image.open(io.BytesIO(data)) as image:
            factor = 0.95 * max_edge / max(image.size)
            if image.format in ("JPEG", "MPO") and factor < 0.5:
                # Let the JPEG decoder scale by 1/2, 1/4 or 1/8 while decoding: a 12-megapixel phone
                # photo costs a quarter of the work, and the longest edge stays >= 95 % of max_edge.
                image.draft("RGB", (math.ceil(image.width * factor), math.ceil(image.height * factor)))
            image.thumbnail((max_edge, max_edge))
            # Apply the EXIF orientation to the pixels before the EXIF block is dropped.
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            # Copy the pixels into a new image: nothing of the original's info dict travels along.
            clean = Image.new("RGB", image.size)
            clean.paste(image)
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise PhotoRejected("Die Datei ist kein lesbares Foto (JPEG, PNG oder WebP).") from exc
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=85, optimize=True, exif=b"")
    return CleanPhoto(out.getvalue(), clean.width, clean.height)
