"""The version of gridvisit (the package's, the CLI's and the welcome's)."""

__version__ = "0.1.0"
