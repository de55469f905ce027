"""Read-only views of the network for the command line (``buurtbot network show``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from buurtbot.core.domain.model import GroupKind, GroupRole, Membership, Person
from buurtbot.core.domain.network import Network
from buurtbot.core.domain.networkspec import NetworkSpec
from buurtbot.core.ids import GroupId, PersonId
from buurtbot.core.ports import UnitOfWork


def tree_lines(
    network: Network,
    names: Mapping[PersonId, str],
    memberships: Mapping[GroupId, Iterable[Membership]],
) -> list[str]:
    """gemeente → kern → buurt → groups, each group with its beheerders."""

    def group_line(indent: str, group_id: GroupId) -> list[str]:
        group = network.group(group_id)
        assert group is not None
        members = list(memberships.get(group_id, ()))
        line = f"{indent}[{group.chat.platform}] {group.name} — {len(members)} members"
        beheerders = sorted(
            (m for m in members if m.role.is_beheerder),
            key=lambda m: (m.role is not GroupRole.EIGENAAR, names.get(m.person_id, "")),
        )
        out = [line]
        out.extend(
            f"{indent}    {m.role}: {names.get(m.person_id, m.person_id)}" for m in beheerders
        )
        return out

    lines = [f"{network.gemeente.name} ({network.gemeente.id})"]
    for group in network.groups:
        if group.kind is not GroupKind.BUURT:
            lines.extend(group_line("  ", group.id))
    for kern in network.kernen:
        lines.append(f"  {kern.name}")
        for buurt in network.buurten_in(kern.id):
            postcodes = ", ".join(str(r) for r in buurt.postcodes)
            lines.append(f"    {buurt.name} ({postcodes})" if postcodes else f"    {buurt.name}")
            groups = network.buurtgroepen_of(buurt.id)
            if not groups:
                lines.append("      (no buurtgroep yet)")
            for group in groups:
                lines.extend(group_line("      ", group.id))
    return lines


def network_tree(uow: UnitOfWork) -> list[str]:
    lines: list[str] = []
    for network in uow.networks.all():
        people: list[Person] = uow.persons.in_gemeente(network.gemeente.id)
        names = {p.id: p.display_name or p.handle or p.id for p in people}
        memberships = {g.id: uow.memberships.of_group(g.id) for g in network.groups}
        for m in (m for ms in memberships.values() for m in ms):
            if m.person_id not in names and (p := uow.persons.get(m.person_id)) is not None:
                names[p.id] = p.display_name or p.handle or p.id
        lines.extend(tree_lines(network, names, memberships))
    return lines


def spec_tree(spec: NetworkSpec) -> list[str]:
    names = {spec.person_id(p.handle): p.display_name for p in spec.persons}
    memberships: dict[GroupId, list[Membership]] = {}
    for m in spec.memberships:
        memberships.setdefault(m.group_id, []).append(m)
    return tree_lines(spec.network, names, memberships)
