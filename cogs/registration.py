"""/register, /profile and /leave on Discord."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.community.ambassadors import AmbassadorView, ProfileChanges
from bot.community.communities import CommunityRef
from bot.community.errors import DomainError
from bot.community.identity import Identity
from bot.community.places import residence_label
from bot.community.profile_rules import (
    CONNECTIONS,
    DISPLAY_NAME_MAX,
    LANGUAGES,
    RESIDENCE_TEXT_MAX,
    validate_profile,
)
from bot.discord_bot import guarded, send_private
from cogs._render import profile_embed, welcome_embed
from cogs._roles import set_ambassador_role
from cogs._subcommittee_render import suggestion_lines
from cogs._views import ExpiredPanels, HubModal, OwnedView

if TYPE_CHECKING:
    from bot.discord_bot import HubBot

TAGS_TEXT_MAX = 400


def _text(
    custom_id: str,
    label: str,
    *,
    default: str | None = None,
    required: bool = True,
    max_length: int,
    paragraph: bool = False,
    placeholder: str | None = None,
) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(
        custom_id=custom_id,
        label=label,
        default=default,
        required=required,
        max_length=max_length,
        placeholder=placeholder,
        style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
    )


Inputs = tuple[
    discord.ui.TextInput[Any], discord.ui.TextInput[Any], discord.ui.TextInput[Any], discord.ui.TextInput[Any]
]


def _profile_inputs(bot: HubBot, lang: str, current: AmbassadorView | None) -> Inputs:
    """Name, residence, interests and skills: with examples for a newcomer, with the values when editing."""

    def hint(key: str) -> str | None:
        return bot.t(lang, f"discord.register.{key}_placeholder") if current is None else None

    sep = bot.t(lang, "profile.list_separator")
    return (
        _text(
            "profile:display_name",
            bot.t(lang, "profile.field.display_name"),
            max_length=DISPLAY_NAME_MAX,
            default=current.display_name if current else None,
        ),
        _text(
            "profile:residence",
            bot.t(lang, "profile.field.residence"),
            max_length=RESIDENCE_TEXT_MAX,
            placeholder=hint("residence"),
            default=residence_label(current.residence_kind, current.residence_code, lang)
            if current
            else None,
        ),
        _text(
            "profile:interests",
            bot.t(lang, "profile.field.interests").capitalize(),
            required=False,
            max_length=TAGS_TEXT_MAX,
            paragraph=True,
            placeholder=hint("interests"),
            default=sep.join(current.interests) if current else None,
        ),
        _text(
            "profile:skills",
            bot.t(lang, "profile.field.skills").capitalize(),
            required=False,
            max_length=TAGS_TEXT_MAX,
            paragraph=True,
            placeholder=hint("skills"),
            default=sep.join(current.skills) if current else None,
        ),
    )


# --- /register ---------------------------------------------------------------------------------------
class ConsentView(OwnedView):
    """Step 1: read the privacy notice, choose the connection to the region, then agree."""

    def __init__(self, bot: HubBot, owner_id: int, lang: str, ref: CommunityRef) -> None:
        super().__init__(bot, owner_id, lang)
        self.ref = ref
        self.connection: str | None = None
        self.select_item("register:connection").placeholder = bot.t(
            lang, "discord.register.connection_placeholder"
        )
        self.select_item("register:connection").options = [
            discord.SelectOption(label=bot.t(lang, f"profile.connection.{c}"), value=c) for c in CONNECTIONS
        ]
        self.button_item("register:agree").label = bot.t(lang, "discord.register.agree_button")
        self.button_item("register:cancel").label = bot.t(lang, "discord.common.cancel_button")
        self.add_item(
            discord.ui.Button(
                label=bot.t(lang, "discord.register.notice_button"),
                url=ref.settings.privacy_notice_url,
                row=2,
            )
        )

    @discord.ui.select(
        custom_id="register:connection",
        min_values=1,
        max_values=1,
        row=0,
        options=[discord.SelectOption(label=c, value=c) for c in CONNECTIONS],
    )
    @guarded
    async def pick(self, interaction: discord.Interaction[Any], select: discord.ui.Select[Any]) -> None:
        self.connection = select.values[0]
        for option in select.options:
            option.default = option.value == self.connection
        await interaction.response.edit_message(view=self)

    @discord.ui.button(custom_id="register:agree", style=discord.ButtonStyle.success, row=1)
    @guarded
    async def agree(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        if self.connection is None:
            raise DomainError("discord.register.pick_connection_first")
        await interaction.response.send_modal(RegisterModal(self.bot, self.lang, self.ref, self.connection))

    @discord.ui.button(custom_id="register:cancel", style=discord.ButtonStyle.secondary, row=1)
    @guarded
    async def cancel(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=self.bot.t(self.lang, "discord.register.cancelled"), embed=None, view=None
        )


class RegisterModal(HubModal):
    """Step 2: the profile itself. The consent is recorded with the registration, in one transaction."""

    def __init__(self, bot: HubBot, lang: str, ref: CommunityRef, connection: str) -> None:
        super().__init__(bot, bot.t(lang, "discord.register.modal_title"))
        self.lang, self.ref, self.connection = lang, ref, connection
        self.display_name, self.residence, self.interests, self.skills = _profile_inputs(bot, lang, None)
        for item in (self.display_name, self.residence, self.interests, self.skills):
            self.add_item(item)

    @guarded
    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        profile = validate_profile(
            self.display_name.value,
            self.residence.value,
            self.connection,
            self.interests.value,
            self.skills.value,
        )
        who = Identity(self.ref.id, "discord", str(interaction.user.id))
        view = await self.bot.hub.ambassadors.register(
            who,
            profile,
            notice_version=self.ref.settings.privacy_notice_version,
            language=self.lang,
            timezone=self.ref.settings.timezone,
        )
        embed = welcome_embed(self.bot.hub.tr, self.lang, view, self.ref.name)
        if not await set_ambassador_role(interaction, self.ref, give=True):
            embed.add_field(name="⚠️", value=self.bot.t(self.lang, "discord.role.not_given"), inline=False)
        suggested = suggestion_lines(
            self.bot.hub.tr, self.lang, await self.bot.hub.subcommittees.suggest(who)
        )
        if suggested:
            title = self.bot.t(self.lang, "discord.subcommittee.suggest.title")
            embed.add_field(name=title, value=suggested, inline=False)
        await send_private(interaction, embed=embed)


# --- /profile --------------------------------------------------------------------------------------
class ProfileView(OwnedView):
    def __init__(
        self, bot: HubBot, owner_id: int, lang: str, ref: CommunityRef, view: AmbassadorView
    ) -> None:
        super().__init__(bot, owner_id, lang)
        self.ref = ref
        self.button_item("profile:edit").label = bot.t(lang, "discord.profile.edit_button")
        self.select_item("profile:connection").placeholder = bot.t(
            lang, "discord.profile.connection_placeholder"
        )
        self.select_item("profile:connection").options = [
            discord.SelectOption(
                label=bot.t(lang, f"profile.connection.{c}"), value=c, default=c == view.connection
            )
            for c in CONNECTIONS
        ]
        self.select_item("profile:language").placeholder = bot.t(lang, "discord.profile.language_placeholder")
        self.select_item("profile:language").options = [
            discord.SelectOption(
                label=bot.t(lang, f"profile.language.{code}"), value=code, default=code == view.language
            )
            for code in LANGUAGES
        ]

    def who(self, interaction: discord.Interaction[Any]) -> Identity:
        return Identity(self.ref.id, "discord", str(interaction.user.id))

    @guarded
    async def show(
        self, interaction: discord.Interaction[Any], changes: ProfileChanges, *, suggest: bool = False
    ) -> None:
        """Save and show the profile; after a profile form, with the subcommittees its interests fit."""
        view = await self.bot.hub.ambassadors.update_profile(self.who(interaction), changes)
        self.lang = view.language
        content = self.bot.t(self.lang, "discord.profile.saved")
        found = await self.bot.hub.subcommittees.suggest(self.who(interaction)) if suggest else []
        suggested = suggestion_lines(self.bot.hub.tr, self.lang, found)
        if suggested:
            content += "\n\n" + self.bot.t(self.lang, "discord.subcommittee.suggest.title") + "\n" + suggested
        fresh = ProfileView(self.bot, self.owner_id, self.lang, self.ref, view)
        embed = profile_embed(self.bot.hub.tr, self.lang, view, self.ref.name)
        # Stop this panel before the fresh one is stored: discord.py drops a stopped view's entries by
        # custom_id, which would otherwise unregister the fresh panel that shares them.
        self.stop()
        await interaction.response.edit_message(content=content, embed=embed, view=fresh)

    @discord.ui.button(custom_id="profile:edit", style=discord.ButtonStyle.primary, row=2)
    @guarded
    async def edit(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        current = await self.bot.hub.ambassadors.get(self.who(interaction))
        await interaction.response.send_modal(EditModal(self, current))

    @discord.ui.select(
        custom_id="profile:connection",
        row=0,
        options=[discord.SelectOption(label=c, value=c) for c in CONNECTIONS],
    )
    @guarded
    async def connection(self, interaction: discord.Interaction[Any], select: discord.ui.Select[Any]) -> None:
        await self.show(interaction, ProfileChanges(connection=select.values[0]))

    @discord.ui.select(
        custom_id="profile:language",
        row=1,
        options=[discord.SelectOption(label=c, value=c) for c in LANGUAGES],
    )
    @guarded
    async def language(self, interaction: discord.Interaction[Any], select: discord.ui.Select[Any]) -> None:
        await self.show(interaction, ProfileChanges(language=select.values[0]))


class EditModal(HubModal):
    def __init__(self, panel: ProfileView, current: AmbassadorView) -> None:
        bot, lang = panel.bot, panel.lang
        super().__init__(bot, bot.t(lang, "discord.profile.modal_title"))
        self.panel = panel
        self.display_name, self.residence, self.interests, self.skills = _profile_inputs(bot, lang, current)
        self.timezone = _text(
            "profile:timezone", bot.t(lang, "profile.field.timezone"), max_length=64, default=current.timezone
        )
        for item in (self.display_name, self.residence, self.interests, self.skills, self.timezone):
            self.add_item(item)

    @guarded
    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.panel.show(
            interaction,
            ProfileChanges(
                display_name=self.display_name.value,
                residence=self.residence.value,
                interests=self.interests.value,
                skills=self.skills.value,
                timezone=self.timezone.value,
            ),
            suggest=True,
        )


# --- /leave ----------------------------------------------------------------------------------------
class LeaveView(OwnedView):
    def __init__(self, bot: HubBot, owner_id: int, lang: str, ref: CommunityRef) -> None:
        super().__init__(bot, owner_id, lang)
        self.ref = ref
        self.button_item("leave:confirm").label = bot.t(lang, "discord.leave.confirm_button")
        self.button_item("leave:cancel").label = bot.t(lang, "discord.common.cancel_button")

    @discord.ui.button(custom_id="leave:confirm", style=discord.ButtonStyle.danger)
    @guarded
    async def confirm(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        who = Identity(self.ref.id, "discord", str(interaction.user.id))
        left = await self.bot.hub.ambassadors.leave(who)
        self.stop()
        await set_ambassador_role(interaction, self.ref, give=False)
        await interaction.response.edit_message(
            content=self.bot.t(self.lang, "discord.leave.done", number=left.member_number),
            embed=None,
            view=None,
        )

    @discord.ui.button(custom_id="leave:cancel", style=discord.ButtonStyle.secondary)
    @guarded
    async def cancel(self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=self.bot.t(self.lang, "discord.leave.cancelled"), embed=None, view=None
        )


PANEL_BUTTONS = ("register:agree", "register:cancel", "profile:edit", "leave:confirm", "leave:cancel")
PANEL_SELECTS = ("register:connection", "profile:connection", "profile:language")


class Registration(commands.Cog):
    def __init__(self, bot: HubBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_view(ExpiredPanels(self.bot, PANEL_BUTTONS, PANEL_SELECTS))

    @app_commands.command(name="register", description="Register as an ambassador")
    @app_commands.guild_only()
    @guarded
    async def register(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        who = Identity(ref.id, "discord", str(interaction.user.id))
        if await self.bot.hub.ambassadors.find(who) is not None:
            raise DomainError("register.error.already_registered")
        lang = await self.bot.language_of(interaction)
        embed = discord.Embed(
            title=self.bot.t(lang, "discord.register.consent_title", community=ref.name),
            description=self.bot.t(
                lang,
                "discord.register.consent_body",
                version=ref.settings.privacy_notice_version,
                url=ref.settings.privacy_notice_url,
            ),
        )
        await send_private(
            interaction, embed=embed, view=ConsentView(self.bot, interaction.user.id, lang, ref)
        )

    @app_commands.command(name="profile", description="Show and edit your profile")
    @app_commands.guild_only()
    @guarded
    async def profile(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        view = await self.bot.hub.ambassadors.get(Identity(ref.id, "discord", str(interaction.user.id)))
        embed = profile_embed(self.bot.hub.tr, view.language, view, ref.name)
        await send_private(
            interaction,
            embed=embed,
            view=ProfileView(self.bot, interaction.user.id, view.language, ref, view),
        )

    @app_commands.command(name="leave", description="Leave the ambassador programme")
    @app_commands.guild_only()
    @guarded
    async def leave(self, interaction: discord.Interaction[Any]) -> None:
        ref = self.bot.community_of(interaction)
        view = await self.bot.hub.ambassadors.get(Identity(ref.id, "discord", str(interaction.user.id)))
        lang = view.language
        await send_private(
            interaction,
            content=self.bot.t(lang, "discord.leave.confirm", community=ref.name, number=view.member_number),
            view=LeaveView(self.bot, interaction.user.id, lang, ref),
        )


async def setup(bot: HubBot) -> None:
    await bot.add_cog(Registration(bot))
