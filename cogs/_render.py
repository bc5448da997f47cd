"""Embeds shared by the cogs: the profile card and the welcome card."""

from __future__ import annotations

import discord

from bot.community.ambassadors import AmbassadorView
from bot.community.places import residence_label
from bot.i18n import Translator

BRAND_COLOUR = discord.Colour(0x1F7A8C)  # the sea around the Oki islands


def tags(tr: Translator, lang: str, values: tuple[str, ...]) -> str:
    return tr.t(lang, "profile.list_separator").join(values) if values else tr.t(lang, "profile.none")


def profile_embed(tr: Translator, lang: str, view: AmbassadorView, community_name: str) -> discord.Embed:
    none = tr.t(lang, "profile.none")
    embed = discord.Embed(
        title=tr.t(lang, "discord.profile.title", name=view.display_name or none),
        description=community_name,
        colour=BRAND_COLOUR,
    )
    fields = [
        ("member_number", f"No. {view.member_number}"),
        ("stage", tr.t(lang, f"profile.stage.{view.stage}")),
        ("residence", residence_label(view.residence_kind, view.residence_code, lang)),
        ("connection", tr.t(lang, f"profile.connection.{view.connection}") if view.connection else none),
        ("interests", tags(tr, lang, view.interests)),
        ("skills", tags(tr, lang, view.skills)),
        ("language", tr.t(lang, f"profile.language.{view.language}")),
        ("timezone", view.timezone),
        ("platforms", " / ".join(tr.t(lang, f"profile.platform.{p}") for p in view.platforms) or none),
    ]
    for key, value in fields:
        embed.add_field(name=tr.t(lang, f"profile.field.{key}").capitalize(), value=value, inline=True)
    return embed


def welcome_embed(tr: Translator, lang: str, view: AmbassadorView, community_name: str) -> discord.Embed:
    embed = discord.Embed(
        title=tr.t(lang, "discord.register.welcome_title", community=community_name),
        description=tr.t(
            lang, "discord.register.welcome_body", name=view.display_name or "", number=view.member_number
        ),
        colour=BRAND_COLOUR,
    )
    embed.add_field(
        name=tr.t(lang, "profile.field.stage").capitalize(), value=tr.t(lang, f"profile.stage.{view.stage}")
    )
    embed.set_footer(text=tr.t(lang, "discord.register.welcome_footer"))
    return embed
