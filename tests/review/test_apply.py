"""`python -m spacy_rulelang apply`: review decisions back into gold, catalogue and training data."""
import doctest
import json
import os
import subprocess
import sys
import warnings
from collections import defaultdict

import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from spacy.vocab import Vocab
from typer.testing import CliRunner

from spacy_rulelang.catalogue.load import load_catalogue, read_catalogue
from spacy_rulelang.cli import app
from spacy_rulelang.io.corpus import read_conll, write_docbin
from spacy_rulelang.review import OUTPUT_FILES, read_decisions, run_apply, slug
from spacy_rulelang.review import gold_edits as review_apply, reader as review_decisions

from support import SENTENCES as COMPARE_SENTENCES, light_nlp, write_conll

runner = CliRunner()
P = "PROG_LANG"
TIME = "2026-11-30T05:00:00.000Z"
# (words, gold tags) and what the hand-written decisions below say about each sentence
SENTENCES = [
    ("I love Python .", "O O O O"),                                          # 0 rules (gold lacked it)
    ("I upgraded to Python 3 yesterday .", "O O O B-Language O O O"),       # 1 model (boundary)
    ("We moved from Java to Kotlin .", "O O O B-Language O B-Language O"),  # 2 gold_wrong, no agreement
    ("Java beans taste bitter .", "O O O O O"),                              # 3 model on a rule_only span
    ("My script is in Zorblang now .", "O O O O O O O"),                     # 4 model: a new language
    ("Rust is fast .", "O O O O"),                                           # 5 gold_wrong, agreement
    ("I like Brainfudge a lot .", "O O B-Language O O O"),                   # 6 both_wrong
    ("Hello world .", "O O O"),                                              # 7 skip
]
WORDS = [text.split() for text, _ in SENTENCES]


def spans(items):
    return None if items is None else [list(s) for s in items]


def decision(doc, start, end, category, choice, rules=(), model=(), gold=(), **extra):
    record = {"input_hash": 1000 + doc, "doc": doc, "token_start": start, "token_end": end,
              "label": P, "text": " ".join(WORDS[doc][start:end]), "category": category,
              "decision": choice, "note": "", "time": TIME,
              "spans": {"rules": spans(rules), "model": spans(model), "gold": spans(gold)}}
    record.update(extra)
    return record


DECISIONS = [
    decision(0, 2, 3, "rule_only", "rules", rules=[(2, 3, P)], note="Python is a language"),
    decision(1, 3, 5, "boundary", "model", rules=[(3, 4, P)], model=[(3, 5, P)], gold=[(3, 4, P)]),
    decision(2, 5, 6, "label", "gold_wrong", rules=[(5, 6, P)], model=[(5, 6, "ORG")], gold=[(5, 6, P)]),
    decision(3, 0, 1, "rule_only", "model", rules=[(0, 1, P)]),
    decision(4, 4, 5, "model_only", "model", model=[(4, 5, P)]),
    decision(5, 0, 1, "suspect_label", "gold_wrong", rules=[(0, 1, P)], model=[(0, 1, P)]),
    decision(6, 2, 3, "suspect_label", "both_wrong", gold=[(2, 3, P)]),
    decision(7, 0, 1, "rule_only", "skip", rules=[(0, 1, P)]),
]
EXPECTED_GOLD = [[(2, 3, P)], [(3, 5, P)], [(3, 4, P), (5, 6, P)], [], [(4, 5, P)], [(0, 1, P)],
                 [(2, 3, P)], []]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf8")
    return path


def gold_of(path):
    docs = DocBin().from_disk(path).get_docs(Vocab())
    return [[(e.start, e.end, e.label_) for e in doc.ents] for doc in docs]


def read_outputs(folder):
    return {name: (folder / name).read_bytes() for name in OUTPUT_FILES}


def run(*args):
    return runner.invoke(app, ["apply", *map(str, args)])


@pytest.fixture
def corpus(tmp_path):
    return write_conll(tmp_path / "gold.conll", SENTENCES)


@pytest.fixture
def decisions(tmp_path):
    return write_jsonl(tmp_path / "decisions.jsonl", DECISIONS)


# --- Prodigy: tasks as `prodigy db-out` writes them after `prodigy review` ---

def prodigy_task(doc, chosen, versions, answer="accept"):
    """A reviewed ner_manual task: text, tokens, final spans (inclusive token_end),
    hashes, our meta, and the versions the reviewer chose from (with their sessions)."""
    words = WORDS[doc]
    tokens, start = [], 0
    for i, word in enumerate(words):
        tokens.append({"text": word, "start": start, "end": start + len(word), "id": i,
                       "ws": i + 1 < len(words)})
        start += len(word) + 1

    def as_spans(items):
        return [{"start": tokens[s]["start"], "end": tokens[e - 1]["end"], "token_start": s,
                 "token_end": e - 1, "label": label} for s, e, label in items]

    return {"text": " ".join(words), "tokens": tokens, "spans": as_spans(chosen),
            "_input_hash": 2000 + doc, "_task_hash": 3000 + doc, "_view_id": "ner_manual",
            "answer": answer, "_session_id": "so_reviewed-alice", "_annotator_id": "so_reviewed-alice",
            "meta": {"system": "gold", "doc": doc, "rank": 1, "priority": 0.25,
                     "categories": "boundary", "rules": "unambiguous_alias", "n_disagreements": 1},
            "versions": [{"text": " ".join(words), "tokens": tokens, "spans": as_spans(items),
                          "_input_hash": 2000 + doc, "_task_hash": 4000 + doc + i, "answer": "accept",
                          "sessions": sessions, "default": i == 0}
                         for i, (items, sessions) in enumerate(versions)]}


PRODIGY = [
    # doc 1: the reviewer took the model's version -> "model"
    prodigy_task(1, [(3, 5, P)], [([(3, 4, P)], ["so-gold", "so-rules"]), ([(3, 5, P)], ["so-model"])]),
    # doc 4: the reviewer's own spans -> "gold_fixed"
    prodigy_task(4, [(4, 5, P)], [([], ["so-gold", "so-rules"]), ([(3, 5, P)], ["so-model"])]),
    # doc 0: the rules' version -> "rules"; doc 3 rejected, doc 7 ignored -> skip
    prodigy_task(0, [(2, 3, P)], [([], ["so-gold", "so-model"]), ([(2, 3, P)], ["so-rules"])]),
    prodigy_task(3, [], [([], ["so-gold", "so-model"]), ([(0, 1, P)], ["so-rules"])], answer="reject"),
    prodigy_task(7, [], [([], ["so-gold", "so-model"])], answer="ignore"),
]


# --- our decisions format ---

def test_apply_each_decision_kind_fixes_gold(corpus, decisions, tmp_path):
    out = tmp_path / "out"
    result = run(decisions, "--corpus", corpus, "--output", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    assert gold_of(out / "corrected.spacy") == EXPECTED_GOLD


def test_apply_audit_lists_every_decision(corpus, decisions, tmp_path):
    run_apply(decisions, corpus, tmp_path / "out")
    audit = list(srsly.read_jsonl(tmp_path / "out" / "audit.jsonl"))
    assert [r["line"] for r in audit] == list(range(1, 9))
    assert [r["outcome"] for r in audit] == ["changed", "changed", "manual", "unchanged", "changed",
                                             "changed", "manual", "skipped"]
    assert audit[1]["before"] == [[3, 4, P]] and audit[1]["after"] == [[3, 5, P]]
    assert audit[6]["decision"] == "both_wrong" and audit[6]["before"] == audit[6]["after"] == [[2, 3, P]]
    assert audit[0]["note"] == "Python is a language" and audit[0]["time"] == TIME
    assert {"line", "doc", "decision", "category", "before", "after", "note"} <= set(audit[0])


def test_apply_model_errors_are_training_examples(corpus, decisions, tmp_path):
    run_apply(decisions, corpus, tmp_path / "out")
    examples = list(srsly.read_jsonl(tmp_path / "out" / "model_errors.jsonl"))
    assert len(examples) == 1  # one `rules` decision
    example = examples[0]
    assert example["text"] == "I love Python ."
    assert [t["text"] for t in example["tokens"]] == WORDS[0]
    assert example["spans"] == [{"start": 7, "end": 13, "token_start": 2, "token_end": 2, "label": P}]
    assert example["meta"] == {"doc": 0, "category": "rule_only", "note": "Python is a language"}


def test_apply_catalogue_patch_entries(corpus, decisions, tmp_path):
    run_apply(decisions, corpus, tmp_path / "out")
    patch = tmp_path / "out" / "catalogue_patch.jsonl"
    entries = {e.id: e for e in read_catalogue(patch)}
    assert list(entries) == ["java", "python", "rust", "zorblang"]  # sorted by id
    packaged = {e.id: e for e in load_catalogue()}
    python = entries["python"]
    assert python.aliases == packaged["python"].aliases  # the full entry
    assert python.must_match[-2:] == ("I love Python .", "I upgraded to Python 3 yesterday .")
    assert entries["java"].must_not_match[-1] == "Java beans taste bitter ."
    assert entries["java"].must_match == packaged["java"].must_match
    assert "Rust is fast ." in entries["rust"].must_match
    new = entries["zorblang"]
    assert new.name == "Zorblang" and new.aliases == ("zorblang",)
    assert new.must_match == ("My script is in Zorblang now .",)


def test_apply_patch_loads_and_rulelang_finds_the_new_name(corpus, decisions, tmp_path):
    run_apply(decisions, corpus, tmp_path / "out")
    patch = tmp_path / "out" / "catalogue_patch.jsonl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # W002: the patch replaces packaged entries, as intended
        entries = load_catalogue(patch, extend=True)
    assert "zorblang" in {e.id for e in entries}
    nlp = spacy.blank("en")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nlp.add_pipe("rulelang", config={"catalogue": str(patch), "pos_checks": False})
    new = {e.id: e for e in read_catalogue(patch)}["zorblang"]
    doc = nlp(new.must_match[0])
    assert [(s.text, s.id_) for s in doc.spans["rulelang"]] == [("Zorblang", "zorblang")]


def test_apply_second_run_is_byte_identical_and_inputs_unchanged(corpus, decisions, tmp_path):
    inputs = {p: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in (corpus, decisions)}
    assert run(decisions, "--corpus", corpus, "-o", tmp_path / "a").exit_code == 0
    first = read_outputs(tmp_path / "a")
    assert run(decisions, "--corpus", corpus, "-o", tmp_path / "a").exit_code == 0
    assert run(decisions, "--corpus", corpus, "-o", tmp_path / "b").exit_code == 0
    assert read_outputs(tmp_path / "a") == first == read_outputs(tmp_path / "b")
    assert {p: (p.read_bytes(), os.stat(p).st_mtime_ns) for p in inputs} == inputs


def test_apply_outputs_do_not_depend_on_the_hash_seed(corpus, decisions, tmp_path):
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "spacy_rulelang", "apply", str(decisions),
                               "--corpus", str(corpus), "-o", str(tmp_path / seed)],
                              env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert read_outputs(tmp_path / "1") == read_outputs(tmp_path / "2")


def test_apply_docbin_corpus_and_a_second_round(corpus, decisions, tmp_path):
    docbin = tmp_path / "gold.spacy"
    write_docbin(read_conll(corpus, Vocab()), docbin)
    run_apply(decisions, docbin, tmp_path / "round1")
    assert gold_of(tmp_path / "round1" / "corrected.spacy") == EXPECTED_GOLD
    # the corrected corpus is a new input; applying the same decisions again changes nothing
    summary = run_apply(decisions, tmp_path / "round1" / "corrected.spacy", tmp_path / "round2")
    assert summary["docs_changed"] == 0
    assert gold_of(tmp_path / "round2" / "corrected.spacy") == EXPECTED_GOLD


def test_apply_decisions_on_one_doc_apply_in_file_order(corpus, tmp_path):
    lines = [decision(2, 3, 4, "rule_only", "model", rules=[(3, 4, P)], gold=[(3, 4, P)]),
             decision(2, 5, 6, "label", "model", rules=[(5, 6, P)], model=[(5, 6, "ORG")], gold=[(5, 6, P)]),
             # overlaps the first, and agrees with it: fine
             decision(2, 3, 4, "rule_only", "model", rules=[(3, 4, P)], gold=[(3, 4, P)], note="again")]
    path = write_jsonl(tmp_path / "d.jsonl", lines)
    run_apply(path, corpus, tmp_path / "out")
    assert gold_of(tmp_path / "out" / "corrected.spacy")[2] == [(5, 6, "ORG")]
    outcomes = [r["outcome"] for r in srsly.read_jsonl(tmp_path / "out" / "audit.jsonl")]
    assert outcomes == ["changed", "changed", "unchanged"]


def test_apply_a_repeated_line_is_a_no_op(corpus, tmp_path):
    """The same line twice (a second download, a copy) is read once: one audit line, one
    training example, and the summary counts the repeat."""
    line = decision(0, 2, 3, "rule_only", "rules", rules=[(2, 3, P)])
    path = write_jsonl(tmp_path / "d.jsonl", [line, {**line, "time": "2026-12-01T05:00:00.000Z"}])
    summary = run_apply(path, corpus, tmp_path / "out")
    assert summary["duplicates"] == 1 and summary["model_errors"] == 1
    assert len(list(srsly.read_jsonl(tmp_path / "out" / "audit.jsonl"))) == 1


# --- Prodigy ---

def test_apply_prodigy_review_output(corpus, tmp_path):
    path = write_jsonl(tmp_path / "reviewed.jsonl", PRODIGY)
    decided = read_decisions(path)
    assert [d.decision for d in decided] == ["model", "gold_fixed", "rules", "skip", "skip"]
    result = run(path, "--corpus", corpus, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    gold = gold_of(tmp_path / "out" / "corrected.spacy")
    assert gold[1] == [(3, 5, P)] and gold[4] == [(4, 5, P)] and gold[0] == [(2, 3, P)]
    assert gold[3] == [] and gold[7] == []
    audit = list(srsly.read_jsonl(tmp_path / "out" / "audit.jsonl"))
    assert [r["outcome"] for r in audit] == ["changed", "changed", "changed", "skipped", "skipped"]
    assert audit[3]["note"] == "Prodigy answer: reject" and audit[0]["region"] == [0, 7]
    assert audit[0]["category"] == "boundary" and audit[0]["source"] == "prodigy"
    examples = list(srsly.read_jsonl(tmp_path / "out" / "model_errors.jsonl"))
    assert [e["meta"]["doc"] for e in examples] == [0]
    patch = {e.id: e for e in read_catalogue(tmp_path / "out" / "catalogue_patch.jsonl")}
    assert patch["zorblang"].must_match == ("My script is in Zorblang now .",)


def test_apply_prodigy_handwritten_line(corpus, tmp_path):
    """One line exactly as Prodigy's docs show a manual NER task (no versions): the
    reviewer's spans become the sentence's gold, recorded as gold_fixed."""
    line = ('{"text": "Rust is fast .", "tokens": [{"text": "Rust", "start": 0, "end": 4, "id": 0, '
            '"ws": true}, {"text": "is", "start": 5, "end": 7, "id": 1, "ws": true}, {"text": "fast", '
            '"start": 8, "end": 12, "id": 2, "ws": true}, {"text": ".", "start": 13, "end": 14, "id": 3, '
            '"ws": false}], "spans": [{"start": 0, "end": 4, "token_start": 0, "token_end": 0, '
            '"label": "PROG_LANG"}], "_input_hash": -1172392540, "_task_hash": 1470283517, '
            '"_view_id": "ner_manual", "answer": "accept", "_timestamp": 1764478800, '
            '"meta": {"doc": 5}}\n')
    path = tmp_path / "manual.jsonl"
    path.write_text(line, encoding="utf8")
    run_apply(path, corpus, tmp_path / "out")
    assert gold_of(tmp_path / "out" / "corrected.spacy")[5] == [(0, 1, P)]
    assert next(srsly.read_jsonl(tmp_path / "out" / "audit.jsonl"))["decision"] == "gold_fixed"


# --- bad lines: a coded error naming the file and line; the previous outputs stay ---

def _with(index, **changes):
    record = json.loads(json.dumps(DECISIONS[index]))
    for key, value in changes.items():
        if value is None:
            record.pop(key)
        else:
            record[key] = value
    return json.dumps(record)


def _prodigy(index, **changes):
    record = json.loads(json.dumps(PRODIGY[index]))
    record.update(changes)
    return json.dumps(record)


BAD_LINES = {
    "malformed JSON": ('{"doc": 0, "decision": "rules"', "E150"),
    "not an object": ('["rules"]', "E151"),
    "neither kind": ('{"doc": 0}', "E151"),
    "missing field": (_with(1, spans=None), "E151"),
    "unknown field": (_with(1, reviewer="bob"), "E151"),
    "bad offsets": (_with(1, token_end=3), "E151"),
    "unknown decision": (_with(1, decision="maybe"), "E152"),
    "unknown category": (_with(1, category="odd"), "E152"),
    "unknown doc": (_with(1, doc=99), "E153"),
    "span out of range": (_with(1, token_end=9, text=None), "E154"),
    "text mismatch": (_with(1, text="Perl"), "E155"),
    "rules decision without rules": (_with(4, decision="rules", spans={"rules": None,
                                                                        "model": [[4, 5, P]]}), "E157"),
    "prodigy bad answer": (_prodigy(0, answer="maybe"), "E152"),
    "prodigy without meta.doc": (_prodigy(0, meta={}), "E151"),
    "prodigy text mismatch": (_prodigy(0, text="I upgraded to Perl 3 yesterday ."), "E155"),
    "prodigy unreviewed task": (json.dumps({**{k: v for k, v in PRODIGY[0].items() if k != "versions"},
                                            "_session_id": "so-rules",
                                            "meta": {"system": "rules", "doc": 1}}), "E151"),
}


@pytest.mark.parametrize("name", list(BAD_LINES))
def test_apply_bad_line_names_file_and_line_and_keeps_outputs(name, corpus, decisions, tmp_path):
    out = tmp_path / "out"
    assert run(decisions, "--corpus", corpus, "-o", out).exit_code == 0
    before = read_outputs(out)
    bad, code = BAD_LINES[name]
    lines = [json.dumps(DECISIONS[0]), "", json.dumps(DECISIONS[2]), bad]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    result = run(path, "--corpus", corpus, "-o", out)
    assert result.exit_code == 1
    text = " ".join(result.output.split())  # wasabi wraps long messages
    assert f"[{code}]" in text and f"{path}, line 4" in text, result.output
    assert read_outputs(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) == []


def test_apply_contradicting_decisions_name_both_lines(corpus, decisions, tmp_path):
    out = tmp_path / "out"
    run_apply(decisions, corpus, out)
    before = read_outputs(out)
    lines = [DECISIONS[1], DECISIONS[0],
             decision(1, 3, 5, "boundary", "rules", rules=[(3, 4, P)], model=[(3, 5, P)], gold=[(3, 4, P)])]
    path = write_jsonl(tmp_path / "both.jsonl", lines)
    with pytest.raises(ValueError, match=r"\[E156\].*lines 1 and 3"):
        run_apply(path, corpus, out)
    # a Prodigy line and one of ours on the same sentence contradict as well
    path = write_jsonl(tmp_path / "mixed.jsonl", [DECISIONS[1], PRODIGY[0] | {"spans": []}])
    with pytest.raises(ValueError, match=r"\[E156\].*lines 1 and 2: .*doc 1"):
        run_apply(path, corpus, out)
    assert read_outputs(out) == before


def test_apply_refuses_to_overwrite_an_input(corpus, decisions, tmp_path):
    run_apply(decisions, corpus, tmp_path / "out")
    result = run(decisions, "--corpus", tmp_path / "out" / "corrected.spacy", "-o", tmp_path / "out")
    assert result.exit_code == 1 and "[E159]" in result.output


def test_apply_empty_or_bad_utf8_decisions(corpus, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf8")
    with pytest.raises(ValueError, match=r"\[E158\]"):
        run_apply(empty, corpus, tmp_path / "out")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(json.dumps(DECISIONS[0]).encode() + b"\n{\"note\": \"caf\xe9\"}\n")
    with pytest.raises(ValueError, match=r"\[E026\].*line 2"):
        run_apply(latin, corpus, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("module", [review_apply, review_decisions])
def test_apply_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_apply_corpus_must_have_gold(decisions, tmp_path):
    texts = tmp_path / "texts.jsonl"
    srsly.write_jsonl(texts, [{"text": text} for text, _ in SENTENCES])
    with pytest.raises(ValueError, match=r"\[E217\]"):
        run_apply(decisions, texts, tmp_path / "out")


def test_apply_slug_follows_catalogue_ids():
    assert [slug(n) for n in ("C++", "F#", "Foo Lang", "Objective-C")] == \
        ["cpp", "fsharp", "foo_lang", "objective_c"]


def test_apply_help():
    result = runner.invoke(app, ["apply", "--help"])
    assert result.exit_code == 0 and "--corpus" in result.output and "--catalogue" in result.output


# --- end to end: compare -> decisions from disagreements.jsonl -> apply ---

@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """`compare` on the comparison tests' sentences with a saved stand-in pipeline (an
    EntityRuler as the model, rulelang without POS checks: no tagger needed)."""
    base = tmp_path_factory.mktemp("e2e")
    light_nlp().to_disk(base / "pipeline")
    data = write_conll(base / "small.conll", COMPARE_SENTENCES)
    result = runner.invoke(app, ["compare", str(base / "pipeline"), str(data), "-o", str(base / "cmp"),
                                 "--dataset", "so"])
    assert result.exit_code == 0, result.output
    return base, data, list(srsly.read_jsonl(base / "cmp" / "disagreements.jsonl"))


def _overlapping(task, start, end):
    return [[s["token_start"], s["token_end"] + 1, s["label"]] for s in task["spans"]
            if s["token_start"] < end and s["token_end"] + 1 > start]


def decisions_from_disagreements(tasks, choose):
    """One decisions.md line per disagreement, as report.html writes them."""
    by_doc = defaultdict(dict)
    for task in tasks:
        by_doc[task["meta"]["doc"]][task["meta"]["system"]] = task
    lines = []
    for doc, versions in sorted(by_doc.items()):
        first = next(iter(versions.values()))
        for d in first["rulelang_disagreements"]:
            start, end = d["token_start"], d["token_end"] + 1
            spans = {name: _overlapping(versions[name], start, end) if name in versions else None
                     for name in ("rules", "model", "gold")}
            lines.append({"input_hash": first["_input_hash"], "doc": doc, "token_start": start,
                          "token_end": end, "label": d["label"], "text": d["text"],
                          "category": d["category"], "decision": choose(d), "note": "", "time": TIME,
                          "spans": spans})
    return lines


def test_apply_end_to_end_after_compare(compared, tmp_path):
    base, data, tasks = compared
    policy = {"boundary": "model", "suspect_label": "both_wrong"}
    lines = decisions_from_disagreements(tasks, lambda d: policy.get(d["category"], "rules"))
    path = write_jsonl(tmp_path / "decisions.jsonl", lines)
    result = run(path, "--corpus", data, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    original = [[(e.start, e.end, e.label_) for e in doc.ents] for doc in read_conll(data, Vocab())]
    fixed = gold_of(tmp_path / "out" / "corrected.spacy")
    assert fixed[2] == [(3, 5, P)]  # "Python 3": the model's boundary
    assert fixed[:2] + fixed[3:] == original[:2] + original[3:]
    audit = list(srsly.read_jsonl(tmp_path / "out" / "audit.jsonl"))
    assert len(audit) == len(lines) == 6
    assert sorted(r["decision"] for r in audit if r["outcome"] == "manual") == ["both_wrong"] * 2


def test_apply_end_to_end_with_a_simulated_prodigy_review(compared, tmp_path):
    """disagreements.jsonl -> what `prodigy review` stores (versions with their sessions),
    the reviewer accepting the model's version of "Python 3" and the rules' elsewhere."""
    base, data, tasks = compared
    by_hash = defaultdict(list)
    for task in tasks:
        by_hash[task["_input_hash"]].append(task)
    reviewed = []
    for versions in by_hash.values():
        merged = {}
        for task in versions:
            version = merged.setdefault(task["_task_hash"], {**task, "sessions": []})
            version["sessions"].append(task["_session_id"])
        pick = "so-model" if versions[0]["meta"]["doc"] == 2 else "so-rules"
        chosen = next(v for v in merged.values() if pick in v["sessions"])
        reviewed.append({**versions[0], "spans": chosen["spans"], "_session_id": "so_reviewed-alice",
                         "versions": [{k: v[k] for k in ("text", "spans", "_input_hash", "_task_hash",
                                                          "answer", "sessions")} for v in merged.values()]})
    path = write_jsonl(tmp_path / "reviewed.jsonl", reviewed)
    run_apply(path, data, tmp_path / "out")
    fixed = gold_of(tmp_path / "out" / "corrected.spacy")
    assert fixed[2] == [(3, 5, P)] and fixed[4] == [(0, 1, P)]  # "Java beans": rules and model agreed
    decided = {d.doc: d.decision for d in read_decisions(path)}
    assert decided[2] == "model" and decided[0] == "rules"
