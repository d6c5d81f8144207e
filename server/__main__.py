"""``python -m server``: the same as the ``gridvisit`` command."""

from .cli import main

main()
