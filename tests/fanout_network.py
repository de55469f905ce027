"""A generated gemeente for fan-out tests and benchmarks: one kern, ``groups`` buurten each
with a Telegram buurtgroep, and a regiegroep; an escalation without a scope goes to every
buurtgroep of the gemeente, so escalating from the first reaches all others plus the
regiegroep (``groups`` targets in all).

Chat ids follow the stand-in's ``--chats`` numbering: buurtgroep ``n`` is ``-100<n>``
(n = 1..groups) and the regiegroep is ``-100<groups + 1>``. The eigenaar of buurtgroep
``n`` has Telegram id ``EIGENAAR_BASE + n``.
"""

from __future__ import annotations

EIGENAAR_BASE = 10_000
HOOFDCOORDINATOR = 9_999


_RULES = {
    "default": '["regie", "gemeente"]',
    "adjacent": '["regie", "adjacent"]',
    "kern": '["regie", "kern"]',
    "politie": '["regie", "politie"]',
    "regie": '["regie"]',
}


def chat_id(n: int) -> int:
    return int(f"-100{n}")


def fanout_network(groups: int) -> str:
    lines = [
        "[gemeente]",
        'id = "fanout"',
        'name = "Fan-out"',
        'timezone = "Europe/Amsterdam"',
        'locale = "nl"',
        "",
        *(
            line
            for scope, targets in _RULES.items()
            for line in ("[[escalation]]", f'scope = "{scope}"', f"targets = {targets}", "")
        ),
        "[[kern]]",
        'id = "k"',
        'name = "Kern"',
    ]
    for n in range(1, groups + 1):
        lines += [
            "",
            "[[buurt]]",
            f'id = "b{n}"',
            'kern = "k"',
            f'name = "Buurt {n}"',
            "",
            "[[group]]",
            f'id = "g{n}"',
            'kind = "buurt"',
            f'buurt = "b{n}"',
            'platform = "telegram"',
            f'chat_id = "{chat_id(n)}"',
            f'name = "Buurtgroep {n}"',
            f'eigenaar = "e{n}"',
            "",
            "[[person]]",
            f'handle = "e{n}"',
            f'name = "Eigenaar {n}"',
            f'telegram = "{EIGENAAR_BASE + n}"',
        ]
    lines += [
        "",
        "[[group]]",
        'id = "regie"',
        'kind = "regie"',
        'platform = "telegram"',
        f'chat_id = "{chat_id(groups + 1)}"',
        'name = "Regiegroep"',
        'leden = ["hoofd"]',
        "",
        "[[person]]",
        'handle = "hoofd"',
        'name = "Hoofd"',
        f'telegram = "{HOOFDCOORDINATOR}"',
        'roles = ["hoofdcoordinator"]',
    ]
    return "\n".join(lines) + "\n"
