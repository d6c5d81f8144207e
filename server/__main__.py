"""``python -m server``: the same as the ``gridvisit`` command."""

from server.cli.commands import main

main()
