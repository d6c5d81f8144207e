"""Design documents run by a real JavaScript engine (QuickJS): the sandbox
(:mod:`.engine`), the built-in reduces (:mod:`.reduces`), view indexes kept
on disk (:mod:`.index`), view queries (:mod:`.query`), ``_changes`` filters
(:mod:`.filters`) and ``validate_doc_update`` (:mod:`.validation`). Pure
Python plus the ``quickjs`` package; no web package, no product rule."""
