"""Packaged data: the language catalogue, cue words and corpus conventions."""
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent


def data_path(name: str) -> Path:
    return DATA_DIR / name
