"""Suppression of small counts, tested on its own: what an attacker holding the published
total and the published parts can subtract, for any counts and threshold."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import assume, given

from mapping.disclosure.suppress import protect, protect_tree

counts = st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 40), min_size=1, max_size=8)
thresholds = st.integers(2, 10)


def recovered(parts: dict[str, int], hidden: set[str]) -> int:
    """What the total minus the published parts gives: the sum of the hidden parts."""
    return sum(parts.values()) - sum(n for key, n in parts.items() if key not in hidden)


@given(counts, thresholds)
def test_every_small_count_is_hidden_and_nothing_is_when_none_is_small(parts, threshold):
    hidden = protect(parts, threshold)
    assert {key for key, n in parts.items() if 0 < n < threshold} <= hidden
    if not any(0 < n < threshold for n in parts.values()):
        assert hidden == set()


@given(counts, thresholds)
def test_subtracting_the_published_parts_from_the_total_gives_no_small_count(parts, threshold):
    assume(sum(parts.values()) >= threshold)  # a smaller total is itself hidden (protect_tree)
    hidden = protect(parts, threshold)
    left = recovered(parts, hidden)
    assert left == 0 or left >= threshold
    # And never one hidden count alone: differencing then gives a sum of two or more.
    if left:
        assert sum(1 for key in hidden if parts[key] > 0) >= 2


def test_the_smallest_published_part_is_hidden_next():
    assert protect({"female": 3, "male": 40, "not stated": 12}, 5) == {"female", "not stated"}


@given(
    st.dictionaries(st.sampled_from("xyz"), counts, min_size=1, max_size=3),
    thresholds,
)
def test_a_table_of_groups_and_subgroups_gives_nothing_small_away(table, threshold):
    total = sum(sum(subs.values()) for subs in table.values())
    total_hidden, groups, pairs = protect_tree(total, table, threshold)
    if 0 < total < threshold:
        assert total_hidden and groups == set(table)
        return
    assert not total_hidden
    group_counts = {g: sum(subs.values()) for g, subs in table.items()}
    left = recovered(group_counts, groups)
    assert left == 0 or left >= threshold
    for group, subs in table.items():
        hidden = {s for g, s in pairs if g == group}
        if group in groups:
            assert hidden == set(subs)  # nothing of a hidden group is published
        else:
            left = recovered(subs, hidden)
            assert left == 0 or left >= threshold
