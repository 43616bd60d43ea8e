"""Build-time only: generate `data/languages.jsonl` from GitHub Linguist, the overlay and
evidence from the corpus (`spacy project run catalogue .`). No pipeline imports this package."""
