"""The per-user view of a database: what one user may read and write.

Every sync endpoint reaches documents only through ``view_for(user, db)``.
The view answers like the database, with the user's rules in front of each
read and write: documents outside the user's grids are left out of
changes, all_docs and bulk_get, single reads of them are 404 (existence
does not leak), and writes the user may not make are refused per document,
kept in quarantine, and replication goes on. ``_local`` documents are kept
per user, so checkpoints never collide.

Roles (see ``Policy``): admins see and write everything; workers see their
grids and write households, visits, requests, read receipts and campaign
answers (their own only) there; supervisors see their communities' grids
and write households, requests, reviews, notices and send-backs, and
campaigns with their form versions for their own communities; hub accounts
see their communities' grids and write grid documents, the rule set and
campaigns of any place they see. A visit is immutable once submitted; a
form version and an answer once written. Every view also includes the shared partition ``ids.SHARED``
(the ``rules:*`` rule sets), which only admins and the district hub write.
Non-admins use only the field database. Mango queries (``_find``) read
only the user's partitions too; index definitions carry no document
content, so anyone may list them, and only admins change them.
"""

from flask import current_app, g

from datetime import date

from rules import answers, ids, scope
from sync import mango, mango_index
from sync.docs import replicated_rev
from sync.errors import Forbidden, NotFound, Unauthorized, error_from_row

from rules.schemas import ValidationFailed, validate
from server.ops import metrics
from server.access import design, erased
from server.access.quarantine_desk import close_sendbacks
from server.access.seqs import FilteredFeed
from server.services import services

WRITABLE = {
    "worker": {"household", "visit", "request", "receipt", "answer"},
    "supervisor": {"household", "request", "review", "notice", "sendback", "campaign", "form"},
    "hub": {"grid", "rules", "campaign", "form"},   # reference data from the district
}
# Written once, never changed: a new form version is a new document, and an
# answer, like a submitted visit, is what was said on the day.
IMMUTABLE = {"form": ("问卷版本一经发布不能修改，请上传新版本 / "
                      "a published form version cannot be changed: upload a new version"),
             "answer": ("摸排答卷已提交，不能再修改 / "
                        "a submitted campaign answer cannot be changed")}


def _named(doc, body, field):
    """Who ``field`` names: in ``doc``, or for a deletion in the stored ``body``."""
    return (body or {}).get(field) if doc.get("_deleted") is True else doc.get(field)


def _own_receipt(user, doc, body):
    """Refuse a receipt (or its deletion) for another reader than ``user``.

    :raises Forbidden: naming the reader.
    """
    reader = _named(doc, body, "reader")
    if reader is not None and reader != user.name:
        raise Forbidden(f"只能提交本人的已读回执，不能代“{reader}”提交 / "
                        f"you may only write your own read receipts, not {reader}'s")


def _check_place(user, kind, doc_id):
    """Refuse a supervisor's campaign (or form) for a street or for everyone.

    :raises Forbidden: naming the rule.
    """
    if kind in ("campaign", "form") and user.role == "supervisor" \
            and not ids.grid_of(doc_id).startswith("community:"):
        raise Forbidden("督导只能为本社区发起专项摸排；街道或全区的摸排由管理员或区级数据中心发起 / "
                        "a supervisor may start campaigns for their own communities only; "
                        "street-wide and district-wide campaigns come from admins or the hub")


def _own_answer(user, doc, body):
    """Refuse an answer given in another worker's name.

    :raises Forbidden: naming the worker.
    """
    worker = _named(doc, body, "worker")
    if worker is not None and worker != user.name:
        raise Forbidden(f"worker: 只能提交本人的摸排答卷，不能代“{worker}”提交 / "
                        f"you may only submit your own campaign answers, not {worker}'s")


class Policy:
    """Read and write rules for one user in one database."""

    def __init__(self, user, grids, field=True, directory=None, places=()):
        self.user = user
        self.directory = directory           # who may take a request (assignees)
        # None: every grid (admins); others also see the shared partition
        # and the places (community, street) their campaigns belong to.
        self.grids = scope.with_shared(grids, places)
        self.field = field                   # False: an admin's other database
        self.forms = lambda form_id: None    # the form version an answer names (the view's)

    @property
    def filters_reads(self):
        """Whether any read could be hidden."""
        return self.grids is not None

    def can_read(self, doc_id):
        """Whether the user may see document ``doc_id`` (see :func:`rules.scope.visible`)."""
        return scope.visible(self.grids, doc_id)

    def check_write(self, doc, current, new_edits=True):
        """Refuse a write by raising :class:`Forbidden`.

        ``current()`` gives the document's ``(tree, winning body)``.
        """
        if not self.field:
            return
        doc_id = doc.get("_id") if isinstance(doc, dict) else None
        kind = ids.doc_type(doc_id) if isinstance(doc_id, str) else None
        if not self.user.is_admin:
            if not self.can_read(doc_id):
                raise Forbidden("该文档不在您负责的网格内 / "
                                "this document is outside your grids")
            if kind == "rules" and self.user.role != "hub":
                raise Forbidden("只有管理员可以修改预警规则 / "
                                "only admins may change the early-warning rules")
            if kind not in WRITABLE.get(self.user.role, ()):
                raise Forbidden(f"您的角色不能写入此类文档 / a {self.user.role} "
                                f"may not write {kind or 'this kind of'} documents")
            _check_place(self.user, kind, doc_id)
        elif kind is None:
            return                                # admins may keep other documents
        tree, body = current()
        replay = not new_edits and replicated_rev(doc) in tree   # a revision it already has
        if kind == "receipt" and not self.user.is_admin:
            _own_receipt(self.user, doc, body)
        if kind == "answer" and not self.user.is_admin:
            _own_answer(self.user, doc, body)
        if kind == "visit" and body is not None and body.get("status") == "submitted":
            if not replay:
                raise Forbidden("走访记录已提交，不能再修改 / "
                                "a submitted visit cannot be changed")
        erasure = self.user.is_admin and doc.get("_deleted") is True   # a resident's data erased
        if kind in IMMUTABLE and body is not None and not replay and not erasure:
            raise Forbidden(IMMUTABLE[kind])
        validate(doc)
        if kind == "answer" and doc.get("_deleted") is not True:
            self._check_answer(doc)
        if kind == "request" and not self.user.is_admin and self.directory is not None:
            self._check_assignee(doc, body)

    def _check_answer(self, doc):
        """Refuse an answer its form version does not accept (``rules.answers``).

        :raises ValidationFailed: listing each question and rule.
        """
        form = self.forms(doc["form"])
        if form is None:
            raise ValidationFailed([{"field": "form", "rule": "missing",
                                     "zh": f"问卷版本“{doc['form']}”不存在或不可见",
                                     "en": f"the form version {doc['form']} does not exist "
                                           "or is not visible to you"}])
        problems = answers.check(doc.get("values"), form,
                                 today=date.fromisoformat(doc["answered_at"][:10]))
        if problems:
            raise ValidationFailed(problems)

    def _check_assignee(self, doc, body):
        """Refuse a request handed to someone who cannot see it (the console's rule).

        :raises Forbidden: naming the assignee.
        """
        assignee = doc.get("assignee")
        if doc.get("_deleted") is True or not assignee or assignee == (body or {}).get("assignee"):
            return
        if assignee not in self.directory.people_for_grid(doc.get("grid")):
            raise Forbidden(f"assignee: “{assignee}”看不到这条诉求，不能承办 / {assignee} "
                            "cannot see this request and may not be its assignee")

    def local_id(self, doc_id):
        """The stored id of the user's ``_local`` document ``doc_id``."""
        return f"_local/u{self.user.id}~{doc_id[len('_local/'):]}"


class DatabaseView:
    """A database as one user sees it."""

    def __init__(self, db, policy, quarantine=None, directory=None, erased_ids=None):
        self.db = db
        self.policy = policy
        self.quarantine = quarantine
        self.erased = erased_ids
        # A store whose seqs name every partition (CouchDB's) filters and
        # backfills by itself; a single-sequence store's feed is narrowed here.
        self.feed = FilteredFeed(db, policy.grids, directory) \
            if policy.filters_reads and not db.partitioned_seqs else None
        policy.forms = self._form

    # What passes through unfiltered: nothing here carries document content.
    @property
    def name(self):
        """The database's name."""
        return self.db.name

    @property
    def instance_start_time(self):
        """When the database was created (CouchDB's ``instance_start_time``)."""
        return self.db.instance_start_time

    def revs_limit(self):
        """How many revisions each path keeps."""
        return self.db.revs_limit()

    def set_revs_limit(self, limit):
        """Set the revisions limit (the route lets only admins)."""
        self.db.set_revs_limit(limit)

    def purged_infos_limit(self):
        """How many purge requests the purge log keeps."""
        return self.db.purged_infos_limit()

    def wait_for_change(self, since_seq, timeout):
        """Block until the database changes after ``since_seq`` or ``timeout`` ends;
        the caller then reads the user's own changes."""
        return self.db.wait_for_change(since_seq, timeout)

    def info(self):
        """Database info; counts and seq of the user's grids only."""
        if self.policy.filters_reads and self.db.partitioned_seqs:
            info = self.db.info(parts=self.policy.grids)     # reads only the user's grids
            for key in ("sizes", "disk_size", "data_size"):
                info.pop(key, None)
            return info
        info = self.db.info()
        if self.policy.filters_reads:
            info["doc_count"], info["doc_del_count"] = self.db.counts(self.policy.grids)
            seq = self.changes(since="now", limit=0)["last_seq"]
            info["update_seq"] = info["committed_update_seq"] = seq
            for key in ("sizes", "disk_size", "data_size"):
                info.pop(key, None)
        return info

    def _form(self, form_id):
        """The form version ``form_id`` if the user may read it, else None."""
        if not self.policy.can_read(form_id):
            return None
        try:
            return self.db.get(form_id)
        except NotFound:
            return None

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
        if not self.policy.filters_reads or not isinstance(requests, list):
            return self.db.bulk_get(requests, **options)
        readable = [isinstance(r, dict) and self.policy.can_read(r.get("id")) for r in requests]
        found = iter(self.db.bulk_get([r for r, ok in zip(requests, readable) if ok], **options))
        out = []
        for item, ok in zip(requests, readable):
            if ok:
                out.append(next(found))
                continue
            doc_id = item.get("id") if isinstance(item, dict) else None
            rev = item.get("rev") if isinstance(item, dict) else None
            out.append({"id": doc_id, "docs": [{"error": {
                "id": doc_id, "rev": rev, "error": "not_found", "reason": "missing"}}]})
        return out

    def revs_diff(self, wanted):
        """``_revs_diff``; of documents the user may not see, only the revs
        the server lacks are reported (never ``possible_ancestors``).

        A tablet that lost a grid still holds its documents; saying the
        server lacks revisions it has would make the tablet push them and
        fill the quarantine. Rev ids are content hashes, so confirming one
        the tablet names tells it nothing it did not know.
        """
        if not self.policy.filters_reads or not isinstance(wanted, dict):
            return self.db.revs_diff(wanted)
        result = self.db.revs_diff(wanted)
        for doc_id in wanted:
            if doc_id in result and not self.policy.can_read(doc_id):
                result[doc_id] = {"missing": result[doc_id]["missing"]}
        return result

    def changes(self, **params):
        """The changes feed of the user's grids (see :mod:`server.seqs`)."""
        if self.feed is not None:
            return self.feed.changes(**params)
        if self.policy.filters_reads:
            params["parts"] = self.policy.grids
        return self.db.changes(**params)

    def wait_for_change(self, since_seq, timeout):
        """Wait for a change the user can see after ``since_seq``; writes to
        other grids never wake a filtered view (see :mod:`sync.watch`)."""
        parts = self.policy.grids if self.policy.filters_reads else None
        return self.db.wait_for_change(since_seq, timeout, parts)

    def decode_since(self, since):
        """The integer position a ``since`` of this view stands for."""
        if self.feed is None:
            return self.db.decode_since(since)
        return self.feed.position(since)

    def all_docs(self, **params):
        """``_all_docs`` of the user's grids only."""
        if self.policy.filters_reads:
            params["parts"] = self.policy.grids
        return self.db.all_docs(**params)

    def find(self, query):
        """``_find`` over the user's grids only (see :mod:`sync.mango`)."""
        return mango.find(self.db, query, self.policy.grids if self.policy.filters_reads
                          else None)

    def explain(self, query):
        """``_explain``: which index a query reads (no document content)."""
        return mango.explain(self.db, query)

    def indexes(self):
        """``GET _index``: the index definitions (no document content)."""
        return mango.list_indexes(self.db)

    def create_index(self, body):
        """Add a json index to its design document, written under the user's rules."""
        index = mango.index_request(body)
        try:
            current = self.db.get(index.ddoc)
        except NotFound:
            current = None
        doc, result = mango.design_with(current, index)
        if doc is not None:
            row = self.bulk_docs([doc])[0]
            if "error" in row:
                raise error_from_row(row)
        return {"result": result, "id": index.ddoc, "name": index.name}

    def delete_index(self, ddoc, name):
        """Remove a json index from its design document (the last one deletes it)."""
        ddoc = mango_index.design_id(ddoc)
        try:
            current = self.db.get(ddoc)
        except NotFound:
            current = None
        row = self.bulk_docs([mango.design_without(current, ddoc, name)])[0]
        if "error" in row:
            raise error_from_row(row)
        return {"ok": True}

    def bulk_docs(self, docs, new_edits=True):
        """``_bulk_docs`` with the user's rules; refusals go to quarantine."""
        validate_doc_update = design.validator(self)

        def before_write(doc, current):
            if self.erased is not None and self.erased.erased(doc):
                raise Forbidden(erased.REASON)        # not quarantined: that would keep it
            try:
                design.check_design_write(self.policy.user, doc)
                self.policy.check_write(doc, current, new_edits)
                validate_doc_update(doc, current)      # the design documents' own rules
            except ValidationFailed as err:
                self._quarantine(doc, err.reason, err.errors)
                raise Forbidden(err.reason)
            except (Forbidden, Unauthorized) as err:
                self._quarantine(doc, err.reason)
                raise
        rows = self.db.bulk_docs(docs, new_edits=new_edits, before_write=before_write)
        if self.quarantine is not None:
            # The worker's own fixed version settles their quarantined copy.
            # (with new_edits=false only refusals get a row, as in CouchDB)
            refused = {row.get("id") for row in rows if "error" in row}
            accepted = [doc["_id"] for doc in docs if isinstance(doc, dict)
                        and isinstance(doc.get("_id"), str) and doc["_id"] not in refused]
            sendbacks = self.quarantine.accepted(self.db.name, accepted, self.policy.user.name)
            if sendbacks:
                close_sendbacks(self.db, sendbacks)
        metrics.bulk_written(rows, len(docs))
        return rows

    def _quarantine(self, doc, reason, errors=()):
        if self.quarantine is not None:
            metrics.quarantined()
            self.quarantine.keep(self.db.name, doc, self.policy.user.name,
                                 g.get("device"), reason, errors)

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

    def local_docs(self, **params):
        """The user's own ``_local`` documents (``_local_docs``), by their ids."""
        prefix = self.policy.local_id("_local/")[len("_local/"):]
        return self.db.local_docs(key_prefix=prefix, **params)

    def maintained(self):
        """The database itself, for purge and compaction: admins only, as CouchDB.

        :raises Forbidden: for anyone else.
        """
        if not self.policy.user.is_admin:
            raise Forbidden("只有管理员可以清除或压缩数据库 / only server admins may purge "
                            "or compact a database")
        return self.db


def view_for(user, name):
    """Database ``name`` as ``user`` sees it.

    :raises NotFound: when there is no such database.
    :raises Forbidden: when a non-admin asks for another database than the
        field database.
    """
    ext = services()
    field = name == current_app.config["FIELD_DB"]
    if not user.is_admin and not field:
        raise Forbidden(f"Only the field database ({current_app.config['FIELD_DB']}) "
                        "is open to your account.")
    db = ext.store.get(name)
    grids = ext.directory.grids_of(user) if field else None
    places = ext.directory.places_of(user, grids) if grids is not None else ()
    return DatabaseView(db, Policy(user, grids, field, ext.directory, places),
                        ext.quarantine, ext.directory,
                        erased.ErasedIds(ext.serverdb) if field else None)
