"""The scripted console scenario of ``buurtbot demo``: a tour of what the bot does.

Each flow adds its scene here, so the demo grows with the bot. Handles and group ids are
those of ``examples/hof-van-twente.toml``.
"""

from __future__ import annotations

from buurtbot.core.domain.model import Locale

_SCENES: dict[Locale, str] = {
    Locale.NL: """\
# Daan, bewoner van Goor-Centrum, maakt kennis met de bot in de buurtgroep.
/as daan goor-centrum
/start
/hulp
# Privé vraagt hij de spelregels op en wie hij is in het netwerk.
/as daan
/regels
/wiebenik
# Eva kiest Engels met een genummerd antwoord; daarna krijgt zij de regels in het Engels.
/as eva goor-centrum
/taal
2
/regels
# In dezelfde groep krijgt Daan ze in het Nederlands.
/as daan goor-centrum
/regels
# Beheerderscommando's zijn voorbehouden aan beheerders.
/escaleer
/as onbekende goor-centrum
/escaleer
""",
    Locale.EN: """\
# Daan, a resident of Goor-Centrum, switches to English and meets the bot in his group.
/as daan goor-centrum
/language en
/start
/help
# Privately he asks for the house rules and his roles in the network.
/as daan
/rules
/whoami
# Eva keeps Dutch: in the same group she gets the rules in Dutch.
/as eva goor-centrum
/rules
# Beheerder commands are for beheerders.
/as daan goor-centrum
/escalate
/as stranger goor-centrum
/language en
/escalate
""",
}


def script(locale: Locale) -> str:
    return _SCENES[locale]
