"""The typer app that every command module registers itself on."""
import typer

app = typer.Typer(
    name="spacy-rulelang",
    help="Rules and a trained NER that keep each other honest (spaCy plugin).",
    no_args_is_help=True,
    add_completion=False,
)

# Commands the spaCy project (project.yml) runs; `--help` lists the user commands first.
project_app = typer.Typer(name="project", help="Steps of the spaCy project (project.yml): assets, base check, transformer training, packaging.", no_args_is_help=True)
app.add_typer(project_app, name="project")
