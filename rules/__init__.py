"""gridvisit's own rules: what the product decides, apart from the engine.

Document ids and their grids (:mod:`.ids`), the vocabulary shared with the
field app (:mod:`.vocabulary`), the schemas of the field documents
(:mod:`.schemas`), per-field stamps and their clock (:mod:`.stamps`,
:mod:`.hlc`), the field merge of households and requests
(:mod:`.fieldmerge`), the early-warning rules (:mod:`.warning_rules`) and
who may see what (:mod:`.scope`). The engine (``sync/``) is given these as
functions (``Store(partition=…, resolver=…)``) and never imports them; this
package imports no web package (Flask, Werkzeug, Jinja2, flask-login).
"""
