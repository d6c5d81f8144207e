"""Properties of ``sync.revtree`` (hypothesis): merge order and repetition
do not matter, the winner does not depend on order, stemming keeps leaves
and the winner."""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync import revtree
from sync.revtree import ancestry, leaves, merge_path, stem, winner


# --------------------------------------------------------------------------
# Properties (hypothesis; settings are per test, nothing global)
# --------------------------------------------------------------------------

PROPERTY = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def histories(draw):
    """A ground-truth rev forest and the leaf-first paths peers would send.

    Returns ``(truth, deleted, paths)``: ``truth`` maps rev -> parent,
    ``paths`` is a list of ``(path, deleted)``: one (possibly stemmed) path per
    truth leaf, plus a few headed at interior revs (a peer that had not seen
    the later edits). Only truth leaves are ever deleted: a deleted interior
    rev makes the tree depend on arrival order (see
    test_merge_order_keeps_deleted_flag_of_an_interior_rev).
    """
    size = draw(st.integers(1, 9))
    hashes = draw(st.lists(st.text("0123456789abcdef", min_size=1, max_size=3),
                           min_size=size, max_size=size, unique=True))
    truth, order = {}, []
    for digest in hashes:
        pick = draw(st.integers(0, len(order)))
        parent = order[pick] if pick < len(order) else None
        pos = revtree.rev_pos(parent) + 1 if parent else draw(st.integers(1, 3))
        rev = f"{pos}-{digest}"
        truth[rev] = parent
        order.append(rev)
    tips = [rev for rev in order if rev not in set(truth.values())]
    deleted = {rev: rev in tips and draw(st.booleans()) for rev in order}
    heads = tips + draw(st.lists(st.sampled_from(order), max_size=3))
    paths = []
    for head in heads:
        chain = [head]
        while truth[chain[-1]] is not None:
            chain.append(truth[chain[-1]])
        keep = draw(st.integers(1, len(chain)))
        paths.append((chain[:keep], deleted[head]))
    return truth, deleted, paths


def merge_all(paths, tree=None):
    tree = {} if tree is None else tree
    for path, deleted in paths:
        tree, _ = merge_path(tree, path, deleted)
    return tree


def expected_tree(truth, deleted, paths):
    """What any merge order must give, computed without revtree."""
    tree = {}
    for path, _ in paths:
        for index, rev in enumerate(path):
            linked = index + 1 < len(path)
            if rev not in tree or linked:
                tree[rev] = [truth[rev] if linked else tree.get(rev, [None])[0],
                             int(deleted[rev])]
    return tree


@PROPERTY
@given(data=st.data(), history=histories())
def test_property_merge_order_does_not_matter(data, history):
    truth, deleted, paths = history
    shuffled = data.draw(st.permutations(paths))
    assert merge_all(paths) == merge_all(shuffled) == expected_tree(truth, deleted, paths)


@PROPERTY
@given(data=st.data(), history=histories())
def test_property_merging_a_path_twice_is_idempotent(data, history):
    _truth, _deleted, paths = history
    start = merge_all(data.draw(st.lists(st.sampled_from(paths), max_size=4)))
    path, deleted = data.draw(st.sampled_from(paths))
    snapshot = copy.deepcopy(start)
    once, _ = merge_path(start, path, deleted)
    assert start == snapshot, "merge_path must not modify its input"
    twice, status = merge_path(once, path, deleted)
    assert status == "internal_node"
    assert twice == once


@PROPERTY
@given(data=st.data(), history=histories())
def test_property_winner_does_not_depend_on_order(data, history):
    _truth, deleted, paths = history
    tree = merge_all(paths)
    shuffled = merge_all(data.draw(st.permutations(paths)))
    assert winner(shuffled) == winner(tree)
    # and it is the documented rule, computed independently
    tips = [rev for rev in tree if all(p != rev for p, _ in tree.values())]
    def rank(rev):
        pos, digest = rev.split("-", 1)
        return (not deleted[rev], int(pos), digest)
    assert winner(tree) == max(tips, key=rank)


@PROPERTY
@given(history=histories(), limit=st.integers(1, 4))
def test_property_stem_keeps_leaves_and_winner(history, limit):
    _truth, _deleted, paths = history
    tree = merge_all(paths)
    stemmed = stem(tree, limit)
    assert sorted(leaves(stemmed)) == sorted(leaves(tree))
    assert winner(stemmed) == winner(tree)
    assert stem(stemmed, limit) == stemmed
    for leaf in leaves(stemmed):
        assert len(ancestry(stemmed, leaf)) <= len(ancestry(tree, leaf))
