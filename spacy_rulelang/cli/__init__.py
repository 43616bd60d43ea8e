"""Command line: `python -m spacy_rulelang COMMAND` (or `spacy-rulelang COMMAND`)."""
from ._app import app

# Importing a module registers its commands on `app`.
from . import tag, convert, benchmark  # noqa: E402,F401  rule component
from . import compare, backend_check  # noqa: E402,F401  comparison stage (and its backends)
from . import apply  # noqa: E402,F401  review decisions back into data
from . import evaluate, project_helpers, loop  # noqa: E402,F401  project workflow
from . import catalogue  # noqa: E402,F401  catalogue build from Linguist (under `project`)
from . import weak_label  # noqa: E402,F401  weak labels for a bootstrapped NER
from . import train_merge  # noqa: E402,F401  the learned merge


def main() -> None:
    app()


__all__ = ["app", "main"]
