"""One data set, one design document and the view queries asked of it, for
gridvisit and pouchdb-server alike (tests/test_design_views.py,
tests/test_design_peers.py). The queries walk the parameters of
docs.couchdb.org "/{db}/_design/{ddoc}/_view/{view}" one by one."""

DOCS = [{"_id": f"d{i:02d}", "n": i, "tag": "abc"[i % 3], "v": [i, 1]} for i in range(12)]
DOCS.append({"_id": "d_null", "n": None, "tag": None})

DDOC = {
    "_id": "_design/t",
    "views": {
        "by_n": {"map": "function (doc) { if (doc.n !== null) emit(doc.n, doc.n * 10); }"},
        "by_tag": {"map": "function (doc) { emit(doc.tag, doc.n); }"},
        "pair": {"map": "function (doc) { emit([doc.tag, doc.n], 1); }", "reduce": "_count"},
        "sum": {"map": "function (doc) { if (doc.v) emit(doc.tag, doc.n); }", "reduce": "_sum"},
        "vsum": {"map": "function (doc) { if (doc.v) emit(doc.tag, doc.v); }", "reduce": "_sum"},
        "stats": {"map": "function (doc) { if (doc.v) emit(doc.tag, doc.n); }",
                  "reduce": "_stats"},
        "js": {"map": "function (doc) { if (doc.v) emit(doc.tag, doc.n); }",
               "reduce": "function (keys, values, rereduce) { return sum(values); }"},
        "linked": {"map": "function (doc) { if (doc.n === 1) emit('x', {_id: 'd02'}); }"},
    },
}

# (view, query string, what the rows must be) — ids for map queries, rows for reduces.
MAP_CASES = [
    ("by_n", "", [f"d{i:02d}" for i in range(12)]),
    ("by_n", "key=3", ["d03"]),
    ("by_n", "keys=[5,1,99]", ["d05", "d01"]),
    ("by_n", "startkey=9", ["d09", "d10", "d11"]),
    ("by_n", "endkey=2", ["d00", "d01", "d02"]),
    ("by_n", "endkey=2&inclusive_end=false", ["d00", "d01"]),
    ("by_n", "start_key=4&end_key=6", ["d04", "d05", "d06"]),
    ("by_n", "descending=true&limit=3", ["d11", "d10", "d09"]),
    ("by_n", "descending=true&startkey=2", ["d02", "d01", "d00"]),
    ("by_n", "descending=true&startkey=5&endkey=3&inclusive_end=false", ["d05", "d04"]),
    ("by_n", "skip=10", ["d10", "d11"]),
    ("by_n", "limit=2&skip=1", ["d01", "d02"]),
    ("by_n", "limit=0", []),
    ("by_tag", 'key="b"', ["d01", "d04", "d07", "d10"]),
    ("by_tag", 'key="b"&descending=true', ["d10", "d07", "d04", "d01"]),
    ("by_tag", 'startkey="b"&startkey_docid=d07&endkey="b"', ["d07", "d10"]),
    ("by_tag", 'startkey="a"&endkey="b"&endkey_docid=d04', ["d00", "d03", "d06", "d09",
                                                             "d01", "d04"]),
    ("by_tag", 'startkey="b"&endkey="b"&endkey_docid=d04&inclusive_end=false', ["d01"]),
    ("by_tag", "key=null", ["d_null"]),
    ("by_tag", 'startkey=null&endkey="a"&limit=2', ["d_null", "d00"]),
    ("pair", 'reduce=false&startkey=["c"]&endkey=["c",{}]', ["d02", "d05", "d08", "d11"]),
    ("pair", 'reduce=false&startkey=["a",4]&endkey=["b",1]', ["d06", "d09", "d01"]),
]

REDUCE_CASES = [
    ("pair", "", [{"key": None, "value": 13}]),
    ("pair", "group_level=1", [{"key": [None], "value": 1}, {"key": ["a"], "value": 4},
                               {"key": ["b"], "value": 4}, {"key": ["c"], "value": 4}]),
    ("pair", 'group=true&startkey=["b",7]&endkey=["c",2]',
     [{"key": ["b", 7], "value": 1}, {"key": ["b", 10], "value": 1},
      {"key": ["c", 2], "value": 1}]),
    ("pair", "group_level=1&limit=2&skip=1", [{"key": ["a"], "value": 4},
                                              {"key": ["b"], "value": 4}]),
    ("pair", "group_level=1&descending=true&limit=1", [{"key": ["c"], "value": 4}]),
    ("sum", "", [{"key": None, "value": 66}]),
    ("sum", "group=true", [{"key": "a", "value": 18}, {"key": "b", "value": 22},
                           {"key": "c", "value": 26}]),
    ("sum", 'key="b"', [{"key": None, "value": 22}]),
    ("sum", 'keys=["c","a"]&group=true', [{"key": "c", "value": 26},
                                          {"key": "a", "value": 18}]),
    ("vsum", "group=true", [{"key": "a", "value": [18, 4]}, {"key": "b", "value": [22, 4]},
                            {"key": "c", "value": [26, 4]}]),
    ("stats", 'key="a"', [{"key": None, "value": {"sum": 18, "count": 4, "min": 0, "max": 9,
                                                  "sumsqr": 126}}]),
    ("js", "group=true", [{"key": "a", "value": 18}, {"key": "b", "value": 22},
                          {"key": "c", "value": 26}]),
    ("js", "", [{"key": None, "value": 66}]),
]
