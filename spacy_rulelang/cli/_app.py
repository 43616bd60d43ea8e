"""The typer app that every command module registers itself on."""
import typer

app = typer.Typer(
    name="spacy-rulelang",
    help="Rules and a trained NER that keep each other honest (spaCy plugin).",
    no_args_is_help=True,
    add_completion=False,
)
