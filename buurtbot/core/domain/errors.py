"""Domain errors: each names a reason the renderer can explain in the reader's language."""

from __future__ import annotations

import enum


class RosterProblem(enum.StrEnum):
    NOT_A_MEMBER = "not-a-member"
    ALREADY_EIGENAAR = "already-eigenaar"
    TOO_MANY_MEDE_BEHEERDERS = "too-many-mede-beheerders"
    EIGENAAR_MUST_TRANSFER = "eigenaar-must-transfer"
    NO_EIGENAAR = "no-eigenaar"
    SEVERAL_EIGENAREN = "several-eigenaren"
    NOT_A_BUURTGROEP = "not-a-buurtgroep"


class DomainError(Exception):
    """Base of the errors a flow reports back to a person instead of crashing."""


class RosterError(DomainError):
    """A change to a group's roles would break one of the roster's invariants."""

    def __init__(self, problem: RosterProblem, detail: str = "") -> None:
        super().__init__(f"{problem}: {detail}" if detail else str(problem))
        self.problem = problem
        self.detail = detail
