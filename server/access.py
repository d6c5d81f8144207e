"""The per-user view of a database: what one user may read and write.

Every sync endpoint reaches documents only through ``view_for(user, db)``.
The view answers like the database, with the user's rules in front of each
read and write: rows a user may not see are left out of changes, all_docs
and bulk_get, single reads of them are 404 (existence does not leak), and
writes the user may not make are refused per document so replication goes
on. ``_local`` documents are kept per user, so checkpoints never collide.
"""

from flask import current_app

from sync.errors import Forbidden, NotFound


class Policy:
    """Read and write rules for one user; the default allows everything."""

    def __init__(self, user):
        self.user = user

    def can_read(self, doc_id):
        """Whether the user may see document ``doc_id``."""
        return True

    def check_write(self, doc):
        """Refuse a write with :class:`Forbidden`; return None to allow it."""
        return None

    @property
    def filters_reads(self):
        """Whether any read could be hidden (lets unfiltered paths stay fast)."""
        return False

    def local_id(self, doc_id):
        """The stored id of the user's ``_local`` document ``doc_id``."""
        return doc_id


def policy_for(user):
    """The rules that apply to ``user``."""
    return Policy(user)


class DatabaseView:
    """A database as one user sees it."""

    def __init__(self, db, policy):
        self.db = db
        self.policy = policy

    def __getattr__(self, name):
        # info, update_seq, revs_limit... carry no document content.
        return getattr(self.db, name)

    def _check_read(self, doc_id):
        if not self.policy.can_read(doc_id):
            raise NotFound("missing")

    def get(self, doc_id, rev=None, **options):
        """A document read; 404 for documents the user may not see."""
        self._check_read(doc_id)
        return self.db.get(doc_id, rev, **options)

    def open_revs(self, doc_id, wanted, **options):
        """``open_revs``; 404 for documents the user may not see."""
        self._check_read(doc_id)
        return self.db.open_revs(doc_id, wanted, **options)

    def get_attachment(self, doc_id, name, rev=None):
        """An attachment; 404 for documents the user may not see."""
        self._check_read(doc_id)
        return self.db.get_attachment(doc_id, name, rev)

    def bulk_get(self, requests, **options):
        """``_bulk_get`` with unreadable documents reported as missing."""
        if not self.policy.filters_reads:
            return self.db.bulk_get(requests, **options)
        allowed = [r for r in requests if isinstance(r, dict) and self.policy.can_read(r.get("id"))]
        found = iter(self.db.bulk_get(allowed, **options))
        out = []
        for item in requests:
            if item in allowed:
                out.append(next(found))
            else:
                doc_id = item.get("id") if isinstance(item, dict) else None
                out.append({"id": doc_id, "docs": [{"error": {
                    "id": doc_id, "rev": item.get("rev") if isinstance(item, dict) else None,
                    "error": "not_found", "reason": "missing"}}]})
        return out

    def revs_diff(self, wanted):
        """``_revs_diff``; unreadable documents answer as if absent."""
        if not self.policy.filters_reads:
            return self.db.revs_diff(wanted)
        return self.db.revs_diff({k: v for k, v in wanted.items() if self.policy.can_read(k)})

    def changes(self, **params):
        """The changes feed without rows the user may not see."""
        return self.db.changes(**params)

    def all_docs(self, **params):
        """``_all_docs`` without rows the user may not see."""
        result = self.db.all_docs(**params)
        if self.policy.filters_reads:
            result["rows"] = [row if self.policy.can_read(row["key"]) else
                              {"key": row["key"], "error": "not_found"}
                              for row in result["rows"]
                              if params.get("keys") is not None or self.policy.can_read(row["key"])]
        return result

    def bulk_docs(self, docs, new_edits=True):
        """``_bulk_docs`` with the user's write rules applied per document."""
        def before_write(doc):
            if isinstance(doc, dict) and isinstance(doc.get("_id"), str) \
                    and not self.policy.can_read(doc["_id"]):
                raise Forbidden("You may not write documents outside your grids.")
            self.policy.check_write(doc)
        return self.db.bulk_docs(docs, new_edits=new_edits, before_write=before_write)

    def get_local(self, doc_id):
        """The user's own ``_local`` document."""
        return dict(self.db.get_local(self.policy.local_id(doc_id)), _id=doc_id)

    def put_local(self, doc_id, doc):
        """Write the user's own ``_local`` document."""
        result = self.db.put_local(self.policy.local_id(doc_id), doc)
        return dict(result, id=doc_id)

    def delete_local(self, doc_id, rev):
        """Delete the user's own ``_local`` document."""
        result = self.db.delete_local(self.policy.local_id(doc_id), rev)
        return dict(result, id=doc_id)


def view_for(user, name):
    """Database ``name`` as ``user`` sees it. :raises NotFound:."""
    db = current_app.extensions["gridvisit.store"].get(name)
    return DatabaseView(db, policy_for(user))
