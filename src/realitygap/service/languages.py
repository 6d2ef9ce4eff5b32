"""Each language's name in itself, for the language switch (its code where not listed)."""

from __future__ import annotations

NAMES = {
    "ar": "العربية",
    "cs": "Čeština",
    "da": "Dansk",
    "de": "Deutsch",
    "el": "Ελληνικά",
    "en": "English",
    "es": "Español",
    "fi": "Suomi",
    "fr": "Français",
    "hu": "Magyar",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "nb": "Norsk bokmål",
    "nl": "Nederlands",
    "pl": "Polski",
    "pt": "Português",
    "ro": "Română",
    "ru": "Русский",
    "sv": "Svenska",
    "tr": "Türkçe",
    "uk": "Українська",
    "zh": "中文",
}


def language_name(code: str) -> str:
    """``code``'s name in its own language ("fr" -> "Français", "pt-BR" -> "Português (BR)")."""
    primary, _, region = code.partition("-")
    name = NAMES.get(primary.lower(), code)
    return f"{name} ({region.upper()})" if region and primary.lower() in NAMES else name
