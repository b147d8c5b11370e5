"""German-first user interface with English as the second language.

Templates write German source text and wrap it in ``_()``; each plugin contributes a
German-to-English catalogue. A missing English entry falls back to German, never to a key.
"""

from __future__ import annotations

from fastapi import Request

LANGUAGES = ("de", "en")
LANG_COOKIE = "gc_lang"


def negotiate(request: Request) -> str:
    """Pick the language: ?lang=, then the cookie, then Accept-Language, else German."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGUAGES:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "de"


def translator(catalogue_en: dict[str, str], lang: str):
    """Return the ``_()`` function for a language."""
    if lang == "de":
        return lambda text, **kw: text.format(**kw) if kw else text

    def translate(text: str, **kw) -> str:
        result = catalogue_en.get(text, text)
        return result.format(**kw) if kw else result

    return translate
