"""Command line: `python -m spacy_rulelang COMMAND` (or `spacy-rulelang COMMAND`)."""
from spacy_rulelang.cli._app import app

# Importing a module registers its commands on `app`.
from spacy_rulelang.cli import tag, convert, benchmark  # noqa: E402,F401  rule component
from spacy_rulelang.cli import compare, backend_check  # noqa: E402,F401  comparison stage (and its backends)
from spacy_rulelang.cli import apply  # noqa: E402,F401  review decisions back into data
from spacy_rulelang.cli import evaluate, project_helpers, review_loop  # noqa: E402,F401  project workflow
from spacy_rulelang.cli import adapt  # noqa: E402,F401  project adapt, split-half: a user's domain
from spacy_rulelang.cli import build_catalogue  # noqa: E402,F401  catalogue build from Linguist (under `project`)
from spacy_rulelang.cli import weak_label  # noqa: E402,F401  weak labels for a bootstrapped NER
from spacy_rulelang.cli import train_merge  # noqa: E402,F401  the learned merge
from spacy_rulelang.cli import scaling  # noqa: E402,F401  benchmark-scaling: time per token as docs grow


def main() -> None:
    app()


__all__ = ["app", "main"]
