"""Suppression of small counts, without a database: what `protect` and `protect_tree` hide.

The attacker here is independent of the code: given what is published (a count, or None where
hidden) and the totals, they subtract every published total's published parts, at every level
of a tree and across levels, and win if a hidden count below the threshold is pinned down or
bounded below it. Hypothesis tries small tables of every shape (zeros, ties, one part, parts
all small); the examples from the module's docstring are spelt out first.
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.disclosure.suppress import protect, protect_tree

thresholds = st.integers(2, 6)
counts = st.integers(0, 12)
parts_of = st.dictionaries(st.sampled_from("abcdefg"), counts, max_size=6)
trees = st.dictionaries(
    st.sampled_from(["service", "litter", "hotspot", "other"]),
    st.dictionaries(st.sampled_from(["water", "school", "police", "flooding"]), counts, max_size=4),
    max_size=4,
)


def recoverable(total: int | None, parts: list[int | None], threshold: int) -> bool:
    """Whether the published parts of a published total give a hidden count away: one hidden
    part is the difference itself; several hidden parts that add up to less than the threshold
    are each known to be below it."""
    if total is None:
        return False
    hidden = sum(1 for p in parts if p is None)
    remainder = total - sum(p for p in parts if p is not None)
    return (hidden == 1 and remainder > 0) or (hidden > 0 and 0 < remainder < threshold)


def published(parts: Mapping[Hashable, int], hidden: set[Hashable]) -> list[int | None]:
    return [None if key in hidden else count for key, count in parts.items()]


@pytest.mark.parametrize(
    ("parts", "hidden"),
    [
        ({"a": 3, "b": 7, "c": 20}, {"a", "b"}),  # 20 + ? = 30 would give 3 away: 7 goes too
        ({"a": 3, "b": 4, "c": 20}, {"a", "b"}),  # two small ones of 5 or more hide each other
        ({"a": 2, "b": 2, "c": 6, "d": 9}, {"a", "b", "c"}),  # 2 + 2 < 5: the smallest, 6, too
        ({"a": 0, "b": 10, "c": 12}, set()),  # zero is published as zero
        ({"a": 5, "b": 6}, set()),  # at the threshold is not below it
    ],
)
def test_the_smallest_published_part_goes_until_the_hidden_ones_reach_the_threshold(parts, hidden):
    assert protect(parts, 5) == hidden


@given(parts=parts_of, threshold=thresholds)
@settings(max_examples=300)
def test_every_small_count_is_hidden_and_none_can_be_recovered(parts, threshold):
    hidden = protect(parts, threshold)
    assert hidden <= set(parts)
    assert {key for key, n in parts.items() if 0 < n < threshold} <= hidden
    total = sum(parts.values())
    if total == 0 or total >= threshold:  # a smaller total is the caller's to hide
        assert not recoverable(total, published(parts, hidden), threshold)


@given(parts=parts_of, threshold=thresholds)
@settings(max_examples=300)
def test_no_more_is_hidden_than_the_rule_needs(parts, threshold):
    """Nothing goes when nothing is small; what goes besides the small counts is never larger
    than what stays; and the last of them was needed (without it, the rest would be short)."""
    hidden = protect(parts, threshold)
    small = {key for key, n in parts.items() if 0 < n < threshold}
    if not small:
        assert hidden == set()
        return
    extra = hidden - small
    shown = set(parts) - hidden
    if extra and shown:
        assert max(parts[k] for k in extra) <= min(parts[k] for k in shown)
    if extra:
        remainder = sum(parts[k] for k in hidden)
        assert remainder - max(parts[k] for k in extra) < threshold


def test_a_small_total_hides_the_total_and_everything_in_it():
    parts = {"service": {"water": 2, "school": 1}, "hotspot": {"flooding": 1}}
    hidden_total, groups, subs = protect_tree(4, parts, 5)
    assert hidden_total is True
    assert groups == {"service", "hotspot"}
    assert subs == {("service", "water"), ("service", "school"), ("hotspot", "flooding")}


def test_a_hidden_group_hides_all_its_parts_however_large():
    # hotspot (3) is small; service (6) is the smallest group left and goes with it.
    parts = {
        "service": {"water": 6},
        "hotspot": {"flooding": 3},
        "litter": {"beach": 20},
    }
    hidden_total, groups, subs = protect_tree(29, parts, 5)
    assert (hidden_total, groups) == (False, {"hotspot", "service"})
    assert subs == {("hotspot", "flooding"), ("service", "water")}


def _tree_published(
    total: int, parts: dict[str, dict[str, int]], threshold: int
) -> tuple[int | None, dict[str, int | None], dict[str, dict[str, int | None]]]:
    hidden_total, hidden_groups, hidden_subs = protect_tree(total, parts, threshold)
    groups = {g: None if g in hidden_groups else sum(subs.values()) for g, subs in parts.items()}
    subs = {
        g: {s: None if (g, s) in hidden_subs else n for s, n in cats.items()}
        for g, cats in parts.items()
    }
    return (None if hidden_total else total), groups, subs


@given(parts=trees, threshold=thresholds)
@settings(max_examples=300)
def test_no_hidden_count_in_a_tree_can_be_recovered_at_any_level(parts, threshold):
    """Every total the public can write down as a sum of published or hidden numbers: the
    grand total over the groups, each group over its subgroups, and the grand total over any
    mix of groups and other groups' subgroups."""
    total = sum(n for cats in parts.values() for n in cats.values())
    shown_total, groups, subs = _tree_published(total, parts, threshold)
    if 0 < total < threshold:
        assert shown_total is None
    assert {g for g, cats in parts.items() if 0 < sum(cats.values()) < threshold} <= {
        g for g, n in groups.items() if n is None
    }
    for g, cats in parts.items():
        small = {s for s, n in cats.items() if 0 < n < threshold}
        assert small <= {s for s, n in subs[g].items() if n is None}
        if groups[g] is None:  # a hidden group's parts are all hidden
            assert all(n is None for n in subs[g].values())
        assert not recoverable(groups[g], list(subs[g].values()), threshold), (g, groups, subs)
    names = list(parts)
    for expanded in itertools.product([False, True], repeat=len(names)):
        mixed: list[int | None] = []
        for name, expand in zip(names, expanded, strict=True):
            mixed += list(subs[name].values()) if expand else [groups[name]]
        assert not recoverable(shown_total, mixed, threshold), (expanded, groups, subs)
