"""Every entry point resolves, so spacy.load finds our factories without an import."""
from importlib.metadata import entry_points

import pytest


@pytest.mark.parametrize("group", ["spacy_factories", "spacy_scorers"])
def test_registry_entry_points_resolve(group):
    ours = [ep for ep in entry_points(group=group) if ep.value.startswith("spacy_rulelang")]
    assert ours
    for ep in ours:
        assert callable(ep.load())


def test_registry_saved_pipeline_loads_without_our_import(tmp_path):
    import subprocess
    import sys

    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("rulelang", config={"pos_checks": False})
    nlp.to_disk(tmp_path / "pipe")
    code = (f"import spacy, sys; nlp = spacy.load({str(tmp_path / 'pipe')!r}); doc = nlp('golang'); "
            "assert [s.id_ for s in doc.spans['rulelang']] == ['go']; "
            "assert 'spacy_rulelang' in sys.modules  # imported by spaCy through the entry point")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
