"""What the console prints for the actions that only change rights or send files and images."""

from __future__ import annotations

import io

from buurtbot.adapters.console.adapter import ConsoleAdapter, ConsoleGroup, ConsolePerson
from buurtbot.core.actions import SendFile, SendImage, SetAdmin
from buurtbot.core.ids import ChatRef, Platform, PlatformIdentity
from buurtbot.core.text import RichText, bold

GROUP = ChatRef(Platform.CONSOLE, "goor-centrum")
EVA = PlatformIdentity(Platform.CONSOLE, "p:eva")


class Directory:
    async def people(self) -> list[ConsolePerson]:
        return []

    async def groups(self) -> list[ConsoleGroup]:
        return []

    async def person_name(self, identity: PlatformIdentity) -> str | None:
        return "Eva Nijhuis" if identity == EVA else None


def console() -> tuple[ConsoleAdapter, io.StringIO]:
    out = io.StringIO()
    return ConsoleAdapter(Directory(), stdin=io.StringIO(), stdout=out), out


def test_the_console_can_mirror_admin_rights_and_send_files() -> None:
    assert ConsoleAdapter.capabilities.admin_rights
    assert ConsoleAdapter.capabilities.send_files


async def test_admin_rights_are_printed() -> None:
    adapter, out = console()
    await adapter.perform(SetAdmin(chat=GROUP, user=EVA, admin=True))
    await adapter.perform(SetAdmin(chat=GROUP, user=EVA, admin=False))
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("Eva Nijhuis: made admin")
    assert lines[1].endswith("Eva Nijhuis: admin rights removed")


async def test_a_file_is_announced_with_its_size() -> None:
    adapter, out = console()
    private = ChatRef.private_with(EVA)
    await adapter.perform(SendFile(chat=private, filename="mijn-gegevens.json", content=b"{}\n"))
    assert "bot sends file mijn-gegevens.json (3 bytes)" in out.getvalue()
    assert "[private · Eva Nijhuis]" in out.getvalue()


async def test_an_image_is_announced_with_its_size_and_caption() -> None:
    assert ConsoleAdapter.capabilities.send_images
    adapter, out = console()
    image = SendImage(
        chat=GROUP,
        filename="hof-van-twente-2026-W49.png",
        content=b"\x89PNG\r\n\x1a\n" + bytes(92),
        caption=RichText.of(bold("Escalaties"), " per kern"),
    )
    result = await adapter.perform(image)
    [line] = out.getvalue().splitlines()
    assert line.endswith(
        "bot sends image hof-van-twente-2026-W49.png (100 bytes): Escalaties per kern"
    )
    assert result.message is None
