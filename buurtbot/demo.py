"""The scripted console scenario of ``buurtbot demo``: a tour of what the bot does.

The English scene plays in a gemeente whose default language is English, so that groups
read English too; in both, one person picks the other language.

Each flow adds its scene here, so the demo grows with the bot. Handles and group ids are
those of ``examples/hof-van-twente.toml``. ``>^`` answers the newest message in the chat
from someone else; a ``{/toelaten}`` line sends ``/toelaten`` with the sign-up number the
bot last showed, ``{/start}`` the invite's token, as if copied from the screen (the script
cannot know them: both are random). See the console's ``/console`` help.
"""

from __future__ import annotations

from buurtbot.core.domain.model import Locale

_SCENES: dict[Locale, str] = {
    Locale.NL: """\
# 1. Daan, bewoner van Goor-Centrum, maakt kennis met de bot en leest de spelregels.
/as daan goor-centrum
/start
/as daan
/regels
# 2. 's Nachts ziet Daan een verdachte auto en doet stap voor stap een melding.
/as daan goor-centrum
/melding
3
Kerkstraat, bij de basisschool
1
grijs
Volkswagen
Golf
12 gzb 8
2
# 3. Eva belt 112 en zegt het in de groep; Joost wil ook bellen, maar hoort dat het al gebeurd is.
/as eva goor-centrum
>^ /112
/as joost goor-centrum
/112
# 4. Daan ziet de auto nog eens; eigenaar Anna zet zijn bericht door naar de regiegroep en de buren.
/as daan goor-centrum
De grijze Golf (12-GZB-8) rijdt nu richting het park
/as anna goor-centrum
>^ /escaleer
# 5. Contactpersoon Ria stuurt het vanuit de regiegroep door naar haar eigen buurtgroep.
/as ria regie
>^ /doorsturen
# 6. Eva kiest Engels; voortaan krijgt zij alles in het Engels.
/as eva goor-centrum
/taal en
/regels
# 7. Joost houdt zich niet aan de regels: drie waarschuwingen, dan verwijderd en geblokkeerd.
/as joost goor-centrum
Wat een sukkels zijn het ook
/as anna goor-centrum
>^ /waarschuw taal
/as joost goor-centrum
Ik ga ze zelf wel even aanpakken
/as anna goor-centrum
>^ /waarschuw eigenrechter
/as joost goor-centrum
Wie gaat er mee naar de kroeg?
/as anna goor-centrum
>^ /waarschuw kletsen
# 8. Joost probeert in een andere buurtgroep te komen: de blokkade geldt in de hele gemeente.
/as joost goor-oost
/join
# 9. De hoofdcoördinator heft de blokkade op; daarna mag Joost weer meedoen.
/as hanneke regie
/vrijgeven joost
/as joost goor-oost
/join
/as hanneke regie
/logboek
# 10. Sanne, nieuw in Goor-Centrum, meldt zich privé aan; de regiegroep en eigenaar Anna horen het.
/as sanne
/aanmelden
Sanne Bosch
7471 BC 7
1
1
1
# 11. Anna bekijkt de aanmeldingen en laat Sanne toe; Sanne krijgt een uitnodiging.
/as anna
/aanmeldingen
{/toelaten}
# 12. Sanne gebruikt de uitnodiging, accepteert de spelregels en is lid van de buurtgroep.
/as sanne
{/start}
1
1
# 13. Goor West gebruikt Signal: Henk ziet iets, eigenaar Frank escaleert het (een citaat op
#     Signal is een antwoord) naar de regiegroep en Goor Centrum, die op Telegram zitten.
/as henk goor-west
Twee mannen met een ladder achter de huizen aan de Beukenlaan
/as frank goor-west
>^ /escaleer
# 14. Hanneke van de regiegroep vraagt privé een aanmeldlink voor het dashboard: de kaart,
#     de tijdlijn en de tabel van alle escalaties, de aanmeldingen en het logboek.
/as hanneke
/dashboard
""",
    Locale.EN: """\
# 1. Daan, a resident of Goor-Centrum, meets the bot and reads the house rules.
/as daan goor-centrum
/start
/as daan
/rules
# 2. At night Daan sees a suspicious car and makes a guided melding.
/as daan goor-centrum
/report
3
Kerkstraat, by the primary school
1
grey
Volkswagen
Golf
12 gzb 8
2
# 3. Eva calls 112 and says so in the group; Joost wants to call too, and hears it was done.
/as eva goor-centrum
>^ /112
/as joost goor-centrum
/112
# 4. Daan sees the car again; eigenaar Anna escalates his message to the regiegroep and neighbours.
/as daan goor-centrum
The grey Golf (12-GZB-8) is now driving towards the park
/as anna goor-centrum
>^ /escalate
# 5. Contactpersoon Ria forwards it from the regiegroep to her own buurtgroep.
/as ria regie
>^ /forward
# 6. Eva prefers Dutch; from now on she gets everything in Dutch.
/as eva goor-centrum
/language nl
/rules
# 7. Joost breaks the rules: three warnings, then removed and blocked.
/as joost goor-centrum
What a bunch of idiots they are
/as anna goor-centrum
>^ /warn language
/as joost goor-centrum
I will deal with them myself
/as anna goor-centrum
>^ /warn own-hands
/as joost goor-centrum
Who is coming to the pub?
/as anna goor-centrum
>^ /warn off-topic
# 8. Joost tries to get into another buurtgroep: the block holds across the gemeente.
/as joost goor-oost
/join
# 9. The hoofdcoordinator lifts the block; after that Joost may join again.
/as hanneke regie
/unblock joost
/as joost goor-oost
/join
/as hanneke regie
/log
# 10. Sanne, new in Goor-Centrum, signs up privately; the regiegroep and eigenaar Anna hear of it.
/as sanne
/signup
Sanne Bosch
7471 BC 7
1
1
1
# 11. Anna looks at the sign-ups and admits Sanne; Sanne gets an invite.
/as anna
/pending
{/admit}
# 12. Sanne uses the invite, accepts the house rules and is a member of the buurtgroep.
/as sanne
{/start}
1
1
# 13. Goor West is on Signal: Henk sees something, eigenaar Frank escalates it (a quote on
#     Signal is a reply) to the regiegroep and Goor Centrum, which are on Telegram.
/as henk goor-west
Two men with a ladder behind the houses on Beukenlaan
/as frank goor-west
>^ /escalate
# 14. Hanneke of the regiegroep asks privately for a sign-in link to the dashboard: the map,
#     timeline and table of every escalation, the sign-ups and the log.
/as hanneke
/dashboard
""",
}


def script(locale: Locale) -> str:
    return _SCENES[locale]
