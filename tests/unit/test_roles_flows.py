"""Mede-beheerders, handing a group over, the coordinatorengroep and continuity, on the fakes."""

from __future__ import annotations

import pytest

from buurtbot.core.actions import (
    Action,
    AddMember,
    CreateInvite,
    RemoveMember,
    SendText,
    SetAdmin,
)
from buurtbot.core.domain.model import GroupRole, Locale, Membership
from buurtbot.core.events import MemberLeft, Sender
from buurtbot.core.ids import ChatRef, Platform, PlatformIdentity
from buurtbot.core.ports import Capabilities
from tests.world import World

CAPS = {
    Platform.TELEGRAM: Capabilities(remove_members=True, invite_links=True),
    Platform.SIGNAL: Capabilities(remove_members=True, add_members=True),
}


@pytest.fixture
def world() -> World:
    w = World(capabilities=CAPS)
    for handle in ("anna", "bert", "carla", "eva", "daan", "hanneke"):
        w.set_language(handle, Locale.EN)
    return w


# -- helpers --------------------------------------------------------------------------------


def roles(world: World, group: str) -> dict[str, GroupRole]:
    with world.uow_factory() as uow:
        return {
            m.person_id.split(":")[-1]: m.role
            for m in uow.memberships.of_group(world.group(group).id)
        }


def private(world: World, handle: str, platform: Platform = Platform.TELEGRAM) -> ChatRef:
    return ChatRef.private_with(world.identity(handle, platform))


def said_to(actions: list[Action], chat: ChatRef) -> list[str]:
    return [a.text.plain for a in actions if isinstance(a, SendText) and a.chat == chat]


def to_regie(world: World, actions: list[Action]) -> list[str]:
    return said_to(actions, world.group("regie").chat)


def leaves(world: World, handle: str, group: str) -> list[Action]:
    chat = world.group(group).chat
    event = MemberLeft(
        event_id=f"left:{handle}:{group}",
        chat=chat,
        sender=Sender(identity=world.identity(handle, chat.platform)),
        at=world.clock.now(),
    )
    return world.deliver(event)


# -- /coadmin --------------------------------------------------------------------------------
def test_eigenaar_makes_a_member_mede_beheerder_and_they_join_the_coordinatorengroep(
    world: World,
) -> None:
    signal = world.give_signal("eva", "+31611111111")
    actions = world.says("anna", "goor-centrum", "/cobeheerder toevoegen eva")

    assert roles(world, "goor-centrum")["eva"] is GroupRole.MEDE_BEHEERDER
    assert roles(world, "coordinatoren")["eva"] is GroupRole.LID
    assert AddMember(chat=world.group("coordinatoren").chat, user=signal) in actions
    assert said_to(actions, world.group("goor-centrum").chat) == [
        "Eva Nijhuis is now a mede-beheerder of Buurtpreventie Goor Centrum."
    ]
    told = said_to(actions, private(world, "eva"))
    assert told[0].startswith("You are now a mede-beheerder of Buurtpreventie Goor Centrum")
    assert told[1] == (
        "As a beheerder you are now also in Coördinatoren Hof van Twente, the group of all "
        "beheerders."
    )
    assert to_regie(world, actions) == []  # three beheerders and more: no continuity worry


def test_by_reply_and_without_a_platform_account_the_hoofdcoordinator_adds_by_hand(
    world: World,
) -> None:
    message = world.post("eva", "goor-centrum", "Ik wil wel helpen")
    actions = world.reply("anna", "goor-centrum", "/coadmin add", message, author="eva")

    assert roles(world, "goor-centrum")["eva"] is GroupRole.MEDE_BEHEERDER
    assert not [a for a in actions if isinstance(a, AddMember)]
    assert said_to(actions, private(world, "hanneke")) == [
        "Eva Nijhuis is now a beheerder. I cannot add people to Coördinatoren Hof van Twente; "
        "please add them."
    ]
    assert "The hoofdcoordinator will add you." in said_to(actions, private(world, "eva"))[1]


def test_an_invite_link_where_the_platform_cannot_add(world: World) -> None:
    caps = dict(CAPS) | {Platform.SIGNAL: Capabilities(invite_links=True)}
    world.bot.capabilities = caps
    signal = world.give_signal("eva", "+31620000999")
    actions = world.says("anna", "goor-centrum", "/coadmin + eva")
    [invite] = [a for a in actions if isinstance(a, CreateInvite)]
    assert invite.chat == world.group("coordinatoren").chat
    assert invite.expires_at is not None
    # The link goes to her own Signal chat, with a line that says what it is for.
    assert invite.send_to == ChatRef.private_with(signal)
    assert invite.message is not None
    assert "works once" in invite.message.plain


def test_no_invite_link_for_someone_without_an_account_there(world: World) -> None:
    world.bot.capabilities = dict(CAPS) | {Platform.SIGNAL: Capabilities(invite_links=True)}
    actions = world.says("anna", "goor-centrum", "/coadmin + eva")  # eva is on Telegram only
    assert not [a for a in actions if isinstance(a, CreateInvite)]
    assert "The hoofdcoordinator will add you." in said_to(actions, private(world, "eva"))[1]


def test_the_maximum_of_mede_beheerders_is_kept(world: World) -> None:
    world.says("anna", "goor-centrum", "/coadmin add eva")  # the third of three
    actions = world.says("anna", "goor-centrum", "/coadmin add daan")

    assert said_to(actions, world.group("goor-centrum").chat) == [
        "Buurtpreventie Goor Centrum already has 3 mede-beheerders, the most allowed. "
        "Remove one first. Nothing was changed."
    ]
    assert roles(world, "goor-centrum")["daan"] is GroupRole.LID
    assert "daan" not in roles(world, "coordinatoren")


def test_only_the_eigenaar_and_only_members(world: World) -> None:
    [refused] = said_to(
        world.says("bert", "goor-centrum", "/coadmin add eva"), world.group("goor-centrum").chat
    )
    assert "eigenaar" in refused
    actions = world.says("anna", "goor-centrum", "/coadmin add henk")
    assert said_to(actions, world.group("goor-centrum").chat) == [
        "Henk Scholten is not a member of Buurtpreventie Goor Centrum. Only members can become "
        "beheerder; they join through a sign-up first."
    ]
    assert "henk" not in roles(world, "goor-centrum")


def test_usage_and_unknown_handles_are_answered(world: World) -> None:
    [usage] = said_to(
        world.says("anna", "goor-centrum", "/coadmin"), world.group("goor-centrum").chat
    )
    assert usage.startswith("Use /coadmin add <handle> or /coadmin remove <handle>")
    [unknown] = said_to(
        world.says("anna", "goor-centrum", "/coadmin add nobody"), world.group("goor-centrum").chat
    )
    assert unknown.startswith("I know nobody called nobody in this gemeente.")
    [already] = said_to(
        world.says("anna", "goor-centrum", "/coadmin add bert"), world.group("goor-centrum").chat
    )
    assert (
        already
        == "Bert Oude Luttikhuis is already a mede-beheerder of Buurtpreventie Goor Centrum."
    )


def test_stepping_down_leaves_the_coordinatorengroep_and_flags_continuity(world: World) -> None:
    carla = world.identity("carla", Platform.SIGNAL)
    actions = world.says("anna", "goor-centrum", "/cobeheerder verwijderen carla")

    assert roles(world, "goor-centrum")["carla"] is GroupRole.LID
    assert "carla" not in roles(world, "coordinatoren")
    assert RemoveMember(chat=world.group("coordinatoren").chat, user=carla) in actions
    assert said_to(actions, private(world, "carla")) == [
        "You are no longer a mede-beheerder of Buurtpreventie Goor Centrum. You stay a member.",
        "You are no longer a beheerder, so you have been taken out of Coördinatoren Hof van "
        "Twente.",
    ]
    assert to_regie(world, actions) == []  # anna and bert are two

    actions = world.says("anna", "goor-centrum", "/coadmin - bert")
    [flag] = to_regie(world, actions)  # in the regiegroep's language (Dutch)
    assert flag.startswith("Buurtpreventie Goor Centrum")
    assert " 1 " in flag


def test_a_beheerder_elsewhere_stays_in_the_coordinatorengroep(world: World) -> None:
    with world.uow_factory() as uow:  # carla is also mede-beheerder in Goor Oost
        group = world.group("goor-oost")
        members = uow.memberships.of_group(group.id)
        carla = world.spec.person_id("carla")
        uow.memberships.replace_group(
            group.id, [*members, Membership(group.id, carla, GroupRole.MEDE_BEHEERDER)]
        )
        uow.commit()
    actions = world.says("anna", "goor-centrum", "/coadmin remove carla")
    assert "carla" in roles(world, "coordinatoren")
    assert not [a for a in actions if isinstance(a, RemoveMember)]


def test_the_eigenaar_cannot_step_down_without_a_transfer(world: World) -> None:
    actions = world.says("hanneke", "regie", "/coadmin remove anna")
    assert said_to(actions, world.group("regie").chat) == [
        "Anna Huisman is the eigenaar of Buurtpreventie Goor Centrum. Hand the group over first "
        "with /transfer. Nothing was changed."
    ]
    assert roles(world, "goor-centrum")["anna"] is GroupRole.EIGENAAR


def test_the_regiegroep_names_the_group_when_needed(world: World) -> None:
    actions = world.says("hanneke", "regie", "/coadmin add eva")
    assert roles(world, "goor-centrum")["eva"] is GroupRole.MEDE_BEHEERDER
    assert said_to(actions, world.group("regie").chat) == [
        "Eva Nijhuis is now a mede-beheerder of Buurtpreventie Goor Centrum."
    ]
    [unknown] = said_to(
        world.says("hanneke", "regie", "/coadmin add daan nergens"), world.group("regie").chat
    )
    assert unknown.startswith("I do not know the buurtgroep nergens.")
    world.says("hanneke", "regie", "/coadmin add daan goor-centrum")
    # daan would be the fourth
    assert roles(world, "goor-centrum")["daan"] is GroupRole.LID
    # a contactpersoon may not
    [refused] = said_to(
        world.says("joost", "regie", "/coadmin add daan"), world.group("regie").chat
    )
    assert "/coadmin" in refused


# -- /transfer -------------------------------------------------------------------------------
def test_transfer_keeps_the_old_eigenaar_as_mede_beheerder_when_there_is_room(
    world: World,
) -> None:
    actions = world.says("anna", "goor-centrum", "/overdragen eva")

    after = roles(world, "goor-centrum")
    assert after["eva"] is GroupRole.EIGENAAR
    assert after["anna"] is GroupRole.MEDE_BEHEERDER
    assert "eva" in roles(world, "coordinatoren")
    assert said_to(actions, world.group("goor-centrum").chat) == [
        "Eva Nijhuis is now the eigenaar of Buurtpreventie Goor Centrum. Anna Huisman stays on "
        "as mede-beheerder."
    ]
    assert said_to(actions, private(world, "eva"))[0].startswith(
        "You are now the eigenaar of Buurtpreventie Goor Centrum"
    )


def test_transfer_without_room_makes_the_old_eigenaar_a_member_and_takes_them_out(
    world: World,
) -> None:
    world.says("anna", "goor-centrum", "/coadmin add daan")  # three mede-beheerders
    actions = world.says("anna", "goor-centrum", "/transfer eva")

    after = roles(world, "goor-centrum")
    assert after["eva"] is GroupRole.EIGENAAR
    assert after["anna"] is GroupRole.LID
    assert "anna" not in roles(world, "coordinatoren")
    anna = world.identity("anna", Platform.SIGNAL)
    assert RemoveMember(chat=world.group("coordinatoren").chat, user=anna) in actions


def test_transfer_refusals(world: World) -> None:
    chat = world.group("goor-centrum").chat
    assert said_to(world.says("anna", "goor-centrum", "/transfer henk"), chat)[0].startswith(
        "Henk Scholten is not a member of Buurtpreventie Goor Centrum."
    )
    assert said_to(world.says("anna", "goor-centrum", "/transfer anna"), chat) == [
        "Anna Huisman is already the eigenaar of Buurtpreventie Goor Centrum."
    ]
    assert "eigenaar" in said_to(world.says("bert", "goor-centrum", "/transfer eva"), chat)[0]


def test_transfer_from_the_regiegroep_tells_the_old_eigenaar(world: World) -> None:
    actions = world.says("hanneke", "regie", "/transfer bert")
    assert roles(world, "goor-centrum")["bert"] is GroupRole.EIGENAAR
    [to_anna] = said_to(actions, private(world, "anna"))
    assert to_anna.startswith("Bert Oude Luttikhuis is now the eigenaar")


# -- leaving the chat ------------------------------------------------------------------------
def test_a_member_who_leaves_the_chat_leaves_the_roster(world: World) -> None:
    leaves(world, "eva", "goor-centrum")
    assert "eva" not in roles(world, "goor-centrum")


def test_a_beheerder_who_leaves_leaves_the_coordinatorengroep_and_continuity_is_flagged(
    world: World,
) -> None:
    actions = leaves(world, "bert", "goor-centrum")
    assert "bert" not in roles(world, "goor-centrum")
    assert "bert" not in roles(world, "coordinatoren")
    bert = world.identity("bert", Platform.SIGNAL)
    assert RemoveMember(chat=world.group("coordinatoren").chat, user=bert) in actions
    assert to_regie(world, actions) == []

    actions = leaves(world, "carla", "goor-centrum")
    assert len(to_regie(world, actions)) == 1


def test_an_eigenaar_who_leaves_stays_on_record_and_the_regiegroep_hears(world: World) -> None:
    world.set_language("anna", Locale.NL)
    actions = leaves(world, "anna", "goor-centrum")
    assert roles(world, "goor-centrum")["anna"] is GroupRole.EIGENAAR
    [notice] = to_regie(world, actions)
    assert "Anna Huisman" in notice
    assert "Buurtpreventie Goor Centrum" in notice


def test_unknown_people_leaving_change_nothing(world: World) -> None:
    chat = world.group("goor-centrum").chat
    before = roles(world, "goor-centrum")
    event = MemberLeft(
        event_id="left:stranger",
        chat=chat,
        sender=Sender(identity=PlatformIdentity(Platform.TELEGRAM, "123")),
        at=world.clock.now(),
    )
    assert world.deliver(event) == []
    assert roles(world, "goor-centrum") == before


# -- admin rights on the platform ------------------------------------------------------------
ADMIN_CAPS = dict(CAPS) | {
    Platform.TELEGRAM: Capabilities(remove_members=True, invite_links=True, admin_rights=True)
}


def admin_changes(actions: list[Action]) -> list[SetAdmin]:
    return [a for a in actions if isinstance(a, SetAdmin)]


def set_admin(world: World, handle: str, admin: bool, group: str = "goor-centrum") -> SetAdmin:
    chat = world.group(group).chat
    return SetAdmin(chat=chat, user=world.identity(handle, chat.platform), admin=admin)


def test_coadmin_add_and_remove_mirror_the_admin_rights(world: World) -> None:
    world.bot.capabilities = ADMIN_CAPS
    actions = world.says("anna", "goor-centrum", "/coadmin add eva")
    assert admin_changes(actions) == [set_admin(world, "eva", True)]

    actions = world.says("anna", "goor-centrum", "/coadmin remove eva")
    assert admin_changes(actions) == [set_admin(world, "eva", False)]


def test_a_transfer_to_a_member_makes_them_admin_and_the_demoted_eigenaar_loses_it(
    world: World,
) -> None:
    world.bot.capabilities = ADMIN_CAPS
    world.says("anna", "goor-centrum", "/coadmin add daan")  # three mede-beheerders: no room
    actions = world.says("anna", "goor-centrum", "/transfer eva")
    assert roles(world, "goor-centrum")["anna"] is GroupRole.LID
    assert admin_changes(actions) == [
        set_admin(world, "eva", True),
        set_admin(world, "anna", False),
    ]


def test_a_transfer_between_beheerders_leaves_the_admin_rights_alone(world: World) -> None:
    world.bot.capabilities = ADMIN_CAPS
    actions = world.says("anna", "goor-centrum", "/transfer bert")  # bert is mede-beheerder
    assert roles(world, "goor-centrum")["anna"] is GroupRole.MEDE_BEHEERDER
    assert admin_changes(actions) == []


def test_a_transfer_to_a_member_with_room_only_promotes(world: World) -> None:
    world.bot.capabilities = ADMIN_CAPS
    actions = world.says("anna", "goor-centrum", "/transfer eva")
    assert admin_changes(actions) == [set_admin(world, "eva", True)]


def test_a_beheerder_who_leaves_loses_the_admin_rights(world: World) -> None:
    world.bot.capabilities = ADMIN_CAPS
    actions = leaves(world, "bert", "goor-centrum")
    assert admin_changes(actions) == [set_admin(world, "bert", False)]
    assert admin_changes(leaves(world, "eva", "goor-centrum")) == []  # a member had none


def test_without_admin_rights_on_the_platform_nothing_is_mirrored(world: World) -> None:
    queued = [
        *world.says("anna", "goor-centrum", "/coadmin add daan"),
        *world.says("anna", "goor-centrum", "/transfer eva"),
        *world.says("eva", "goor-centrum", "/coadmin remove daan"),
        *leaves(world, "bert", "goor-centrum"),
    ]
    after = roles(world, "goor-centrum")
    assert after["eva"] is GroupRole.EIGENAAR
    assert after["daan"] is GroupRole.LID
    assert "bert" not in after
    assert admin_changes(queued) == []
