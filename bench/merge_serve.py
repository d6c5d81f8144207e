#!/usr/bin/env python
"""``gridvisit serve`` for the merge benchmark, optionally without resolution on write.

Builds the app exactly as ``gridvisit serve`` does (``create_app``, gunicorn
with the WORKERS × THREADS settings, ``server/wsgi.py``); with
``--no-resolver`` each worker's app then sets
``services(app).store.resolver = None`` before any database is
opened, so every database it opens writes conflicts as CouchDB does and
merges nothing. Benchmark only: ``bench/merge_bench.py`` starts two of these
to compare a push with and without resolution.

    .venv/bin/python bench/merge_serve.py --data-dir DIR --port N [--no-resolver]
"""

import argparse
import sys
from pathlib import Path
from server.services import services

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import create_app  # noqa: E402
from server.wsgi import serve  # noqa: E402


def factory(data_dir, resolve):
    def make():
        app = create_app({"DATA_DIR": str(data_dir)})
        store = services(app).store
        if not resolve:
            if store._open:                      # a database opened with the resolver
                raise RuntimeError(f"databases already open: {sorted(store._open)}")
            store.resolver = None
        return app
    return make


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", required=True, type=Path)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--no-resolver", action="store_true",
                    help="store conflicts as they come, merge nothing")
    args = ap.parse_args(argv)
    app = create_app({"DATA_DIR": str(args.data_dir)})
    workers, threads = app.config["WORKERS"], app.config["THREADS"]
    timeout = app.config["CHANGES_TIMEOUT"]
    services(app).store.close()
    print(f"merge_serve http://{args.host}:{args.port}/couch/ resolver="
          f"{'off' if args.no_resolver else 'on'} ({workers}×{threads} threads)", flush=True)
    serve(factory(args.data_dir, not args.no_resolver), args.host, args.port, workers,
          threads, timeout)


if __name__ == "__main__":
    main()
