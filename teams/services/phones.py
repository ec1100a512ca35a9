"""The phones paired to members: kept by checkin, shown and cut off by the team.

checkin sits above teams (it imports teams, never the reverse), so it registers
here, in checkin/team_phones.py, how to list a member's phones and how to revoke
them; the factory imports that module.
"""
from dataclasses import dataclass

_listers = []
_revokers = []


@dataclass(frozen=True)
class Phone:
    id: int
    user_id: int
    label: str  # as the person pairing named it: "Gate 2 phone"
    festival_th: str
    festival_en: str
    paired_at: object


def lister(function):
    """Register `function(user_ids) -> [Phone]`: the working phones of these members."""
    _listers.append(function)
    return function


def revoker(function):
    """Register `function(user) -> int`: revoke every phone of this member, flush, never commit."""
    _revokers.append(function)
    return function


def phones_of(user_ids):
    by_user = {user_id: [] for user_id in user_ids}
    for function in _listers:
        for phone in function(list(user_ids)):
            by_user.setdefault(phone.user_id, []).append(phone)
    return by_user


def revoke_all(user):
    return sum(function(user) for function in _revokers)
