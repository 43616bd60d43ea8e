"""`apply` never writes a label from a decisions file that carries markup, a path or
invisible characters (issue 18, point 7): a coded error names the file and the line,
and nothing is written; notes travel as plain JSON strings, never as HTML."""
import json

import pytest
import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from typer.testing import CliRunner

from spacy_rulelang.cli import app
from spacy_rulelang.review import OUTPUT_FILES, run_apply
from spacy_rulelang.review.decision import label_problem

from support import write_conll

P = "PROG_LANG"
EVIL = "../../evil<script>"
SENTENCES = [("I love Python .", "O O O O"),            # doc 0: the rules found Python
             ("We moved from Java to Kotlin .", "O O O B-Language O B-Language O")]  # doc 1
NOTE = "<img src=x onerror=\"alert(1)\"></script>"


def line(model_label=P, **changes):
    """doc 0: the model's span on "Python" (label `model_label`) is right."""
    record = {"doc": 0, "token_start": 2, "token_end": 3, "label": P, "text": "Python",
              "category": "rule_only", "decision": "model", "note": NOTE,
              "spans": {"rules": [[2, 3, P]], "model": [[2, 3, model_label]], "gold": []}}
    record.update(changes)
    return record


def prodigy(label, in_versions=False):
    """A reviewed Prodigy task for doc 0 whose final (or a version's) span has `label`."""
    tokens = [{"text": w, "start": s, "end": s + len(w), "id": i, "ws": True}
              for i, (w, s) in enumerate(zip("I love Python .".split(), (0, 2, 7, 14)))]
    span = {"start": 7, "end": 13, "token_start": 2, "token_end": 2}
    return {"text": "I love Python .", "tokens": tokens, "answer": "accept",
            "spans": [{**span, "label": P if in_versions else label}],
            "meta": {"doc": 0}, "versions": [{"spans": [{**span, "label": label}],
                                             "sessions": ["so-model"]}]}


@pytest.fixture
def corpus(tmp_path):
    return write_conll(tmp_path / "gold.conll", SENTENCES)


def write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf8")
    return path


def labels_in(path):
    return {e.label_ for doc in DocBin().from_disk(path).get_docs(Vocab()) for e in doc.ents}


def test_apply_refuses_a_path_and_markup_label_and_writes_nothing(corpus, tmp_path):
    """The bug: `../../evil<script>` as the model's label went into corrected.spacy."""
    ok = write(tmp_path / "ok.jsonl", [line()])
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["apply", str(ok), "--corpus", str(corpus), "-o", str(out)]).exit_code == 0
    before = {name: (out / name).read_bytes() for name in OUTPUT_FILES}
    bad = write(tmp_path / "bad.jsonl", [line(), line(model_label=EVIL)])
    result = CliRunner().invoke(app, ["apply", str(bad), "--corpus", str(corpus), "-o", str(out)])
    text = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "[E290]" in text and f"{bad}, line 2" in text and repr(EVIL) in text, result.output
    assert {name: (out / name).read_bytes() for name in OUTPUT_FILES} == before
    assert EVIL not in labels_in(out / "corrected.spacy")
    with pytest.raises(ValueError, match=r"E290"):
        run_apply(bad, corpus, tmp_path / "fresh")
    assert not (tmp_path / "fresh").exists()


WHERE = {  # every place a decisions line names a label
    "model span": lambda label: line(model_label=label),
    "rules span": lambda label: line(decision="rules", spans={"rules": [[2, 3, label]], "model": [],
                                                              "gold": []}),
    "gold span": lambda label: line(decision="skip", spans={"rules": [[2, 3, P]], "model": [],
                                                            "gold": [[2, 3, label]]}),
    "label field": lambda label: line(label=label),
    "prodigy spans": lambda label: prodigy(label),
    "prodigy versions": lambda label: prodigy(label, in_versions=True),
}
UNSAFE = ["../../evil<script>", "<img src=x onerror=alert(1)>", "a/b", "a\\b", "PROG&LANG",
          'PROG"LANG', "PROG\nLANG", "PROG\x00LANG", "PROG\u200bLANG", "PROG\u202eLANG", " PROG",
          "..", "X" * 101]


@pytest.mark.parametrize("where", list(WHERE))
@pytest.mark.parametrize("label", UNSAFE)
def test_apply_unsafe_label_anywhere_names_file_and_line(where, label, corpus, tmp_path):
    path = write(tmp_path / "decisions.jsonl", [line(), line(), WHERE[where](label)])
    with pytest.raises(ValueError) as err:
        run_apply(path, corpus, tmp_path / "out")
    message = str(err.value)
    assert "[E290]" in message and f"{path}, line 3" in message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("label", ["PROG_LANG", "ORG", "Library_Function", "WORK OF ART", "C++",
                                   "sprache:Ünïcode", "A.B-C#1"])
def test_apply_safe_labels_pass(label, corpus, tmp_path):
    """Safe labels, also ones the corpus never had (the model's ORG), are written."""
    assert label_problem(label) is None
    path = write(tmp_path / "decisions.jsonl", [line(model_label=label)])
    run_apply(path, corpus, tmp_path / "out")
    assert label in labels_in(tmp_path / "out" / "corrected.spacy")


def test_apply_notes_stay_plain_json_strings(corpus, tmp_path):
    """A note with markup is data: copied verbatim into the JSON outputs, no HTML field."""
    path = write(tmp_path / "decisions.jsonl", [line(decision="rules")])
    run_apply(path, corpus, tmp_path / "out")
    audit = list(srsly.read_jsonl(tmp_path / "out" / "audit.jsonl"))
    errors = list(srsly.read_jsonl(tmp_path / "out" / "model_errors.jsonl"))
    assert [a["note"] for a in audit] == [NOTE] and [e["meta"]["note"] for e in errors] == [NOTE]
    assert all("html" not in record for record in audit + errors)
