"""One module per CLI command, named after it (``stats.py`` is ``annotator stats``; a
Python keyword gets ``_cmd``: ``import_cmd.py``), so ``annotator.cli`` imports only
the command it runs; see ``annotator.cli``."""
