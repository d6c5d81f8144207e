"""Reference revision trees and merge tables from CouchDB and PouchDB, in
their own notation, read into ``sync.revtree``'s flat ``{rev:
[parent_or_None, deleted]}`` form; used by ``tests/test_revtree*.py``.

* ``pouch(...)`` reads PouchDB's ``rev_tree`` (``[{pos, ids: [hash, opts,
  children]}]``) as used in pouchdb/pouchdb ``tests/unit/test.merge.js``;
* ``couch(...)`` reads couch_key_tree's ``[{Depth, {Key, Value, Children}}]``
  (written as Python tuples) as used in apache/couchdb
  ``src/couch/test/eunit/couch_key_tree_tests.erl``.
"""

import pytest

from sync.revtree import merge_path, stem


# --------------------------------------------------------------------------
# Helpers: reference notations -> our flat dict
# --------------------------------------------------------------------------

def pouch(*rev_tree):
    """PouchDB ``rev_tree`` paths ``{pos, ids: [hash, opts, children]}`` -> flat."""
    flat = {}

    def walk(pos, node, parent):
        rev_hash, opts, kids = node
        rev = f"{pos}-{rev_hash}"
        flat[rev] = [parent, 1 if opts.get("deleted") else 0]
        for kid in kids:
            walk(pos + 1, kid, rev)

    for path in rev_tree:
        walk(path["pos"], path["ids"], None)
    return flat


def couch(*rev_tree):
    """couch_key_tree ``[{Depth, {Key, Value, Children}}]`` (as tuples) -> flat."""
    flat = {}

    def walk(pos, node, parent):
        key, _value, kids = node
        rev = f"{pos}-{key}"
        flat[rev] = [parent, 0]
        for kid in kids:
            walk(pos + 1, kid, rev)

    for depth, node in rev_tree:
        walk(depth, node, None)
    return flat


def leaf_paths(flat):
    """Every root-to-leaf path of ``flat``, leaf first (independent of revtree)."""
    parents = {parent for parent, _ in flat.values()}
    found = []
    for rev in sorted(flat):
        if rev in parents:
            continue
        path = [rev]
        while flat[path[-1]][0] is not None:
            path.append(flat[path[-1]][0])
        found.append(path)
    return found


STRENGTH = {"internal_node": 0, "new_leaf": 1, "new_branch": 2}


def merge_tree(tree, incoming, depth):
    """Merge every path of ``incoming`` into ``tree``, then stem to ``depth``.

    Returns ``(stemmed_tree, combined_status, stemmed_revs)``.
    """
    statuses = []
    for path in leaf_paths(incoming):
        tree, status = merge_path(tree, path, incoming[path[0]][1])
        statuses.append(status)
    stemmed = stem(tree, depth)
    combined = max(statuses, key=STRENGTH.__getitem__)
    return stemmed, combined, sorted(set(tree) - set(stemmed))


# --------------------------------------------------------------------------
# PouchDB tests/unit/test.merge.js fixtures, copied literally.
# (pouchdb/pouchdb, describe('test.merge.js'); the newer revision of the file
# also asserts stemmedRevs, which we compare as "revs dropped by stem()".)
# --------------------------------------------------------------------------

simple = {"pos": 1, "ids": ["1", {}, []]}
two0 = {"pos": 1, "ids": ["1", {}, [["2_0", {}, []]]]}
two1 = {"pos": 1, "ids": ["1", {}, [["2_1", {}, []]]]}
newleaf = {"pos": 2, "ids": ["2_0", {}, [["3", {}, []]]]}
withnewleaf = {"pos": 1, "ids": ["1", {}, [["2_0", {}, [["3", {}, []]]]]]}
newbranch = {"pos": 1, "ids": ["1", {}, [["2_0", {}, []], ["2_1", {}, []]]]}
newdeepbranch = {"pos": 2, "ids": ["2_0", {}, [["3_1", {}, []]]]}
stemmededit = {"pos": 3, "ids": ["3", {}, []]}
stemmedconflicts = [simple, stemmededit]
newbranchleaf = {"pos": 1,
                 "ids": ["1", {}, [["2_0", {}, [["3", {}, []]]], ["2_1", {}, []]]]}
newbranchleafbranch = {"pos": 1, "ids": ["1", {}, [
    ["2_0", {}, [["3", {}, []], ["3_1", {}, []]]], ["2_1", {}, []]]]}
stemmed2 = [
    {"pos": 1, "ids": ["1", {}, [["2_1", {}, []]]]},
    {"pos": 2, "ids": ["2_0", {}, [["3", {}, []], ["3_1", {}, []]]]},
]
stemmed3 = [
    {"pos": 2, "ids": ["2_1", {}, []]},
    {"pos": 3, "ids": ["3", {}, []]},
    {"pos": 3, "ids": ["3_1", {}, []]},
]
partialrecover = [
    {"pos": 1, "ids": ["1", {}, [["2_0", {}, [["3", {}, []]]]]]},
    {"pos": 2, "ids": ["2_1", {}, []]},
    {"pos": 3, "ids": ["3_1", {}, []]},
]
# "These are tests from CouchDB's kt-merging.erl test suite" part of the file
one = {"pos": 1, "ids": ["1", {}, []]}
two = {"pos": 1, "ids": ["2", {}, []]}
twoSibs = [one, two]
three = {"pos": 1, "ids": ["3", {}, []]}
threeSibs = [one, two, three]
twoChild = {"pos": 1, "ids": ["1", {}, [["1a", {}, [["1aa", {}, []]]]]]}
twoChildSibs = {"pos": 1, "ids": ["1", {}, [["1a", {}, []], ["1b", {}, []]]]}
twoChildPlusSibs = {"pos": 1, "ids": ["1", {}, [
    ["1a", {}, [["1aa", {}, []]]], ["1b", {}, []]]]}
stemmed1b = {"pos": 2, "ids": ["1a", {}, []]}
twoChildPlusSibs2 = {"pos": 1, "ids": ["1", {}, [
    ["1a", {}, []], ["1b", {}, [["1bb", {}, []]]]]]}
stemmed1bb = {"pos": 3, "ids": ["1bb", {}, []]}
stemmedTwoChildSibs2 = [
    {"pos": 2, "ids": ["1a", {}, []]},
    {"pos": 2, "ids": ["1b", {}, [["1bb", {}, []]]]},
]
stemmed1aa = {"pos": 3, "ids": ["1aa", {}, []]}
stemmed1a = {"pos": 2, "ids": ["1a", {}, [["1aa", {}, []]]]}
oneChild = {"pos": 1, "ids": ["1", {}, [["1a", {}, []]]]}
foo = {"pos": 1, "ids": ["foo", {}, [["foo2", {}, []], ["foo3", {}, []]]]}
bar = {"pos": 1, "ids": ["foo", {}, [["foo3", {}, [["foo4", {}, []]]]]]}
fooBar = {"pos": 1, "ids": ["foo", {}, [
    ["foo2", {}, []], ["foo3", {}, [["foo4", {}, []]]]]]}


def P(name, tree, path, depth, expected, status, stemmed=()):
    """One row of the PouchDB merge table: merge(tree, path, depth)."""
    return pytest.param(pouch(*tree), pouch(path), depth, pouch(*expected),
                        status, sorted(stemmed), id=f"pouchdb:{name}")


# Source: pouchdb/pouchdb tests/unit/test.merge.js, describe('test.merge.js'),
# one row per it(...) that calls merge(); the id is the it() title.
POUCHDB_MERGE = [
    P("Merging a path into an empty tree is the path",
      [], simple, 10, [simple], "new_leaf"),
    P("Remerge path into path is reflexive",
      [simple], simple, 10, [simple], "internal_node"),
    P("Merging a path with multiple entries is the path",
      [], two0, 10, [two0], "new_leaf"),
    P("Merging a path with multiple entries is reflexive",
      [two0], two0, 10, [two0], "internal_node"),
    P("Merging a subpath into a path results in the path",
      [two0], simple, 10, [two0], "internal_node"),
    P("Merging a new leaf gives us a new leaf",
      [two0], newleaf, 10, [withnewleaf], "new_leaf"),
    P("Merging a new branch returns a proper tree",
      [two0], two1, 10, [newbranch], "new_branch"),
    P("Order of merging does not affect the resulting tree",
      [two1], two0, 10, [newbranch], "new_branch"),
    P("Merging a new_leaf doesnt return new_branch when branches exist",
      [newbranch], newleaf, 10, [newbranchleaf], "new_leaf"),
    P("Merging a deep branch with branches works",
      [newbranchleaf], newdeepbranch, 10, [newbranchleafbranch], "new_branch"),
    # BUG (fails): the tree comes out right (the stemmed 3-3 is reconnected to
    # 1-1 through 2-2_0, so leaf 1-1 gains a descendant), but merge_path
    # answers "internal_node" because the incoming leaf 3-3 was already known.
    P("New information reconnects steming induced conflicts",
      stemmedconflicts, withnewleaf, 10, [withnewleaf], "new_leaf"),
    P("Simple stemming works",
      [two0], newleaf, 2, [newleaf], "new_leaf", stemmed=["1-1"]),
    # BEHAVIOUR DIFFERS between the references, revtree follows CouchDB.
    # PouchDB expects tree: stemmed2 (2-2_0 cut off from 1-1), because its
    # stem() cuts every root-to-leaf path to `depth` independently. CouchDB's
    # couch_key_tree:stem/2 (stem_tree/4) keeps a node when it is within
    # Limit of *any* leaf below it, with its edges: 1-1 is 2 deep from leaf
    # 2-2_1, so it stays, and so does the edge 2-2_0 -> 1-1. revtree.stem does
    # the same, so nothing is stemmed. (PouchDB's stemmedRevs here is [] too.)
    P("Merge with stemming works correctly for branches",
      [newbranchleafbranch], simple, 2, [newbranchleafbranch], "internal_node"),
    P("Merge with stemming to leaves works fine",
      [newbranchleafbranch], simple, 1, stemmed3, "internal_node",
      stemmed=["1-1", "2-2_0"]),
    P("Merging unstemmed recovers as much as possible without losing info",
      stemmed3, withnewleaf, 10, partialrecover, "internal_node"),
    P("The empty tree is the identity for merge.",
      [], one, 10, [one], "new_leaf"),
    P("Merging is reflexive",
      [one], one, 10, [one], "internal_node"),
    P("Merging a prefix of a tree with the tree yields the tree.",
      twoSibs, one, 10, twoSibs, "internal_node"),
    # BEHAVIOUR DIFFERS: PouchDB answers "internal_node" for a path that joins
    # no branch; CouchDB (should_produce_conflict_on_merge_with_unrelated_branch
    # below) answers new_branch, and so does merge_path ("a conflict, or a
    # disjoint history"). The tree is the same in all three.
    P("Merging a third unrelated branch leads to a conflict.",
      twoSibs, three, 10, threeSibs, "new_branch"),
    P("Merging two children is still reflexive.",
      [twoChild], twoChild, 10, [twoChild], "internal_node"),
    P("Merging a tree to itself is itself.",
      [twoChildSibs], twoChildSibs, 10, [twoChildSibs], "internal_node"),
    # twoChildSibs is two paths here: 1-1/2-1a (internal_node) and 1-1/2-1b
    # (new_branch); combined: new_branch, as PouchDB says.
    P("Merging tree of uneven length at node 2.",
      [twoChild], twoChildSibs, 10, [twoChildPlusSibs], "new_branch"),
    P("Merging a tree with a stem.",
      [twoChildSibs], stemmed1b, 10, [twoChildSibs], "internal_node"),
    P("Merging a stem at a deeper level.",
      [twoChildPlusSibs2], stemmed1bb, 10, [twoChildPlusSibs2], "internal_node"),
    P("Merging a stem at a deeper level against paths at deeper levels.",
      stemmedTwoChildSibs2, stemmed1bb, 10, stemmedTwoChildSibs2,
      "internal_node"),
    P("Merging a single tree with a deeper stem.",
      [twoChild], stemmed1aa, 10, [twoChild], "internal_node"),
    P("Merging a larger stem.",
      [twoChild], stemmed1a, 10, [twoChild], "internal_node"),
    P("More merging.",
      [stemmed1a], stemmed1aa, 10, [stemmed1a], "internal_node"),
    # BEHAVIOUR DIFFERS: PouchDB "internal_node", CouchDB
    # (should_create_conflicts_on_merge) and merge_path "new_branch".
    P("Merging should create conflicts.",
      [oneChild], stemmed1aa, 10, [oneChild, stemmed1aa], "new_branch"),
    # BUG (fails): same as "New information reconnects ..." above: leaf 1-1a
    # is joined to the known leaf 3-1aa, the tree is right, but the status is
    # "internal_node" instead of "new_leaf".
    P("Merging should have no conflicts.",
      [oneChild, stemmed1aa], twoChild, 10, [twoChild], "new_leaf"),
    P("Merging trees with conflicts ought to behave.",
      [foo], bar, 10, [fooBar], "new_leaf"),
]


# --------------------------------------------------------------------------
# CouchDB src/couch/test/eunit/couch_key_tree_tests.erl, key_tree_merge_test_
# (every case is merge_and_stem/2: couch_key_tree:merge + stem to ?DEPTH 10).
# --------------------------------------------------------------------------

One = (1, ("1", "foo", []))
TwoSibs = [(1, ("1", "foo", [])), (1, ("2", "foo", []))]
Three = (1, ("3", "foo", []))
ThreeSibs = [(1, ("1", "foo", [])), (1, ("2", "foo", [])), (1, ("3", "foo", []))]
TwoChild = (1, ("1", "foo", [("1a", "bar", [("1aa", "bar", [])])]))
TwoChildSibs = (1, ("1", "foo", [("1a", "bar", []), ("1b", "bar", [])]))
TwoChildPlusSibs = (1, ("1", "foo", [("1a", "bar", [("1aa", "bar", [])]),
                                     ("1b", "bar", [])]))
TwoChildSibsDeep = (1, ("1", "foo", [("1a", "bar", []),
                                     ("1b", "bar", [("1bb", "boo", [])])]))
StemmedTwoChildSibs = [(2, ("1a", "bar", [])),
                       (2, ("1b", "bar", [("1bb", "boo", [])]))]
OneChild = (1, ("1", "foo", [("1a", "bar", [])]))
Foo = (1, ("foo", "val1", [("foo2", "val2", []), ("foo3", "val3", [])]))
Bar = (1, ("foo", [], [("foo3", [], [("foo4", "val4", [])])]))
FooBar = (1, ("foo", "val1", [("foo2", "val2", []),
                              ("foo3", "val3", [("foo4", "val4", [])])]))


def C(name, tree, path, expected, status):
    """One row of the CouchDB merge table: merge_and_stem(tree, path)."""
    return pytest.param(couch(*tree), couch(path), 10, couch(*expected),
                        status, [], id=f"couchdb:{name}")


# Source: apache/couchdb src/couch/test/eunit/couch_key_tree_tests.erl,
# key_tree_merge_test_/0; the id is the test function name.
COUCHDB_MERGE = [
    C("should_merge_with_empty_tree", [], One, [One], "new_leaf"),
    C("should_merge_reflexive", [One], One, [One], "internal_node"),
    C("should_merge_prefix_of_a_tree_with_tree",
      TwoSibs, One, TwoSibs, "internal_node"),
    C("should_produce_conflict_on_merge_with_unrelated_branch",
      TwoSibs, Three, ThreeSibs, "new_branch"),
    C("should_merge_reflexive_for_child_nodes",
      [TwoChild], TwoChild, [TwoChild], "internal_node"),
    # The Erlang test folds each leaf path of TwoChildSibs into itself and
    # asserts internal_node for every one; merge_tree() does the same fold.
    C("should_merge_tree_to_itself",
      [TwoChildSibs], TwoChildSibs, [TwoChildSibs], "internal_node"),
    C("should_merge_tree_of_odd_length",
      [TwoChildSibs], TwoChild, [TwoChildPlusSibs], "new_leaf"),
    C("should_merge_tree_with_stem",
      [TwoChildSibs], (2, ("1a", "bar", [])), [TwoChildSibs], "internal_node"),
    C("should_merge_with_stem_at_deeper_level",
      [TwoChildSibsDeep], (3, ("1bb", "boo", [])), [TwoChildSibsDeep],
      "internal_node"),
    C("should_merge_with_stem_at_deeper_level_with_deeper_paths",
      StemmedTwoChildSibs, (3, ("1bb", "boo", [])), StemmedTwoChildSibs,
      "internal_node"),
    C("should_merge_single_tree_with_deeper_stem",
      [TwoChild], (3, ("1aa", "bar", [])), [TwoChild], "internal_node"),
    C("should_merge_tree_with_large_stem",
      [TwoChild], (2, ("1a", "bar", [("1aa", "bar", [])])), [TwoChild],
      "internal_node"),
    C("should_merge_stems",
      [(2, ("1a", "bar", [("1aa", "bar", [])]))], (3, ("1aa", "bar", [])),
      [(2, ("1a", "bar", [("1aa", "bar", [])]))], "internal_node"),
    C("should_create_conflicts_on_merge",
      [OneChild], (3, ("1aa", "bar", [])),
      [OneChild, (3, ("1aa", "bar", []))], "new_branch"),
    # BUG (fails): CouchDB answers new_leaf (leaf "1a" is extended and joins
    # the stemmed "1aa"); merge_path answers internal_node because "3-1aa" is
    # already known. The resulting tree is right.
    C("should_create_no_conflicts_on_merge",
      [OneChild, (3, ("1aa", "bar", []))], TwoChild, [TwoChild], "new_leaf"),
    C("should_ignore_conflicting_branch (COUCHDB-902)",
      [Foo], Bar, [FooBar], "new_leaf"),
]
