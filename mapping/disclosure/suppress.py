"""Statistical disclosure control for published counts.

Primary suppression hides any count below the threshold. Secondary suppression makes sure no
published total minus the published parts gives a hidden count away: whenever the hidden parts
of a total add up to less than the threshold (but more than nothing), the smallest published
part is hidden too, until they do.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping


def protect(parts: Mapping[Hashable, int], threshold: int) -> set[Hashable]:
    """The keys of `parts` to hide, given that their total is published.

    Parts are the counts of disjoint groups that add up to the total (a group for "not stated"
    included, so that the sum holds).
    """
    hidden = {key for key, count in parts.items() if 0 < count < threshold}
    remainder = sum(parts[key] for key in hidden)
    shown = sorted((count, str(key), key) for key, count in parts.items() if key not in hidden)
    while 0 < remainder < threshold and shown:
        count, _, key = shown.pop(0)
        hidden.add(key)
        remainder += count
    return hidden


def protect_tree(
    total: int, parts: Mapping[Hashable, dict[Hashable, int]], threshold: int
) -> tuple[bool, set[Hashable], set[tuple[Hashable, Hashable]]]:
    """Suppression for a total split in groups, each split again in subgroups.

    Returns whether the total itself is hidden, the groups hidden, and the (group, subgroup)
    pairs hidden. Subgroups of a hidden group are hidden with it; those of a published group are
    protected against that group's published count.
    """
    if 0 < total < threshold:
        return True, set(parts), {(g, s) for g, subs in parts.items() for s in subs}
    groups = {g: sum(subs.values()) for g, subs in parts.items()}
    hidden_groups = protect(groups, threshold)
    hidden_subs: set[tuple[Hashable, Hashable]] = set()
    for group, subs in parts.items():
        hide = set(subs) if group in hidden_groups else protect(subs, threshold)
        hidden_subs |= {(group, sub) for sub in hide}
    return False, hidden_groups, hidden_subs
