"""CouchDB's JSON collation: one total order over every JSON value.

``null < false < true < numbers < strings < arrays < objects`` (the order
of docs.couchdb.org "Views Collation"); arrays compare element by element,
a shorter prefix first; objects compare their members in order, key then
value, fewer members first. Strings compare by code point here, where
CouchDB uses ICU's UCA: the same for ASCII ids and digits, different for
letter case and accents. Mango selectors compare by this order, so values
of different types never raise ``TypeError``.
"""

_NULL, _FALSE, _TRUE, _NUMBER, _STRING, _ARRAY, _OBJECT = range(7)


def sort_key(value):
    """A Python-comparable key that orders ``value`` as CouchDB collates it."""
    if value is None:
        return (_NULL,)
    if value is False:
        return (_FALSE,)
    if value is True:
        return (_TRUE,)
    if isinstance(value, (int, float)):
        return (_NUMBER, value)
    if isinstance(value, str):
        return (_STRING, value)
    if isinstance(value, (list, tuple)):
        return (_ARRAY, tuple(sort_key(item) for item in value))
    if isinstance(value, dict):
        return (_OBJECT, tuple((sort_key(k), sort_key(v)) for k, v in value.items()))
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def compare(a, b):
    """-1, 0 or 1 as ``a`` collates before, with or after ``b``."""
    left, right = sort_key(a), sort_key(b)
    return (left > right) - (left < right)
