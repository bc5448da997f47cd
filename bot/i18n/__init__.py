"""Message catalogs (Japanese default, English) and language negotiation."""

from bot.i18n.catalog import SUPPORTED_LANGUAGES, Msg, Translator, pick_language
from bot.i18n.times import When

__all__ = ["SUPPORTED_LANGUAGES", "Msg", "Translator", "When", "pick_language"]
