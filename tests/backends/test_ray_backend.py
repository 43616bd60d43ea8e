"""The same bytes from compare, tag and weak-label with the local backend (1 or 2 workers)
and Ray (1 or 2 actors), for any block size; every doc once after a worker dies; Ray
quiet by default (its logs in a file next to the output); a clear error without Ray;
and a ranking that does not depend on how the input is split."""
from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
from dataclasses import replace

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from spacy_rulelang.backends import TEST_EXIT_ONCE_ENV
from spacy_rulelang.cli import app
from spacy_rulelang.compare.core import find_disagreements
from spacy_rulelang.compare.ranking import RankCounts, Ranker
from spacy_rulelang.compare.runner import OUTPUT_FILES
from spacy_rulelang.compare.summary import SummaryStats
from spacy_rulelang.scoring.rule_scores import RuleCounts

from conftest import TAGGER_PACKAGE
from support import read_outputs
from support import MODEL_PATTERNS, write_conll

runner = CliRunner()
HAS_RAY = importlib.util.find_spec("ray") is not None and importlib.util.find_spec("ray.data") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason='Ray is not installed (pip install "spacy-rulelang[ray]")')
N_DEV = 300  # sentences of the dev split: a few seconds per run on 2 cores


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory):
    """One embedded Ray for the module (the commands join it). The fault hook's marker
    exists, so no worker exits until a test removes it; the env vars are set before Ray
    starts, so the workers inherit them."""
    import ray

    marker = tmp_path_factory.mktemp("fault") / "exited"
    marker.touch()
    mp = pytest.MonkeyPatch()
    mp.setenv(TEST_EXIT_ONCE_ENV, str(marker))
    mp.setenv("RAY_worker_niceness", "0")  # as the commands' embedded Ray: not starved
    ray.init(address="local", num_cpus=3, include_dashboard=False, logging_level="WARNING",
             log_to_driver=False)
    try:
        yield marker
    finally:
        ray.shutdown()
        mp.undo()


@pytest.fixture(scope="module")
def pipeline(tagger_nlp, tmp_path_factory) -> str:
    """Tagger + a stand-in model (EntityRuler on doc.ents) + rulelang, saved: each ray
    worker loads it by its path."""
    base = tmp_path_factory.mktemp("pipeline")
    tagger_nlp.to_disk(base / "tagger")
    nlp = spacy.load(base / "tagger", exclude=["ner", "parser", "lemmatizer"])
    nlp.add_pipe("entity_ruler").add_patterns(MODEL_PATTERNS)
    nlp.add_pipe("rulelang", config={"write_ents": False})
    nlp.to_disk(base / "nlp")
    return str(base / "nlp")


def compare(pipeline, data, out, *args):
    result = runner.invoke(app, ["compare", str(pipeline), str(data), "-o", str(out),
                                 "--limit", str(N_DEV), *map(str, args)])
    assert result.exit_code == 0, result.output
    return read_outputs(out)


@pytest.fixture(scope="module")
def local_outputs(pipeline, data_dir, tmp_path_factory):
    """The reference: the local backend with one worker (this process)."""
    return compare(pipeline, data_dir / "dev.txt", tmp_path_factory.mktemp("local"), "-n", 1)


@pytest.mark.parametrize("extra", [["-n", 2], ["-n", 2, "--block-size", 7], ["-n", 1, "--block-size", 50]])
def test_local_compare_is_byte_identical_for_any_workers_and_blocks(pipeline, data_dir, local_outputs,
                                                                     tmp_path, extra):
    outputs = compare(pipeline, data_dir / "dev.txt", tmp_path / "out", *extra)
    assert b'"docs"' in outputs["summary.json"] and outputs["disagreements.jsonl"]
    assert outputs == local_outputs


def test_compare_verbose_prints_the_block_overhead(pipeline, data_dir, tmp_path):
    result = runner.invoke(app, ["compare", pipeline, str(data_dir / "dev.txt"), "-o", str(tmp_path / "o"),
                                 "--limit", "60", "-n", "2", "--block-size", "20", "--verbose"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "3 blocks of 60 inputs" in said and "on 2 worker(s)" in said and "overhead" in said


@needs_ray
@pytest.mark.parametrize("workers,block_size", [(2, 64), (1, N_DEV)])
def test_ray_compare_is_byte_identical_to_local(ray_cluster, pipeline, data_dir, local_outputs,
                                                tmp_path, workers, block_size):
    outputs = compare(pipeline, data_dir / "dev.txt", tmp_path / "out", "--backend", "ray",
                      "--workers", workers, "--block-size", block_size)
    assert b'"docs"' in outputs["summary.json"] and outputs["disagreements.jsonl"]
    assert outputs == local_outputs
    assert (tmp_path / "out" / "ray.log").is_file()  # Ray's logs, next to the outputs


@needs_ray
def test_ray_compare_worker_death_keeps_every_doc_once(ray_cluster, pipeline, data_dir,
                                                       local_outputs, tmp_path):
    ray_cluster.unlink()  # arm the hook: the first actor batch exits its process
    outputs = compare(pipeline, data_dir / "dev.txt", tmp_path / "out", "--backend", "ray",
                      "--workers", 2, "--block-size", 50)
    assert ray_cluster.exists()  # an actor did die (and Ray retried its block)
    summary = json.loads(outputs["summary.json"])
    assert summary["docs"]["in"] == summary["docs"]["out"] == N_DEV
    assert outputs == local_outputs


@needs_ray
def test_check_backends_prints_identity_and_digests_only(ray_cluster, pipeline, conll, tmp_path):
    result = runner.invoke(app, ["check-backends", pipeline, str(conll), "--workers", "2",
                                 "--block-size", "2", "--output", str(tmp_path / "check.json")])
    assert result.exit_code == 0, result.output
    table = json.loads((tmp_path / "check.json").read_text())
    assert sorted(table) == sorted(OUTPUT_FILES)
    assert all(row["identical"] and row["sha256_local"] == row["sha256_ray"] for row in table.values())
    assert result.output.count("identical") >= 4 and "precision" not in result.output


TAG_RUNS = [["-n", "1"], ["-n", "2", "--block-size", "1"],
            pytest.param(["--backend", "ray", "--workers", "1"], marks=needs_ray),
            pytest.param(["--backend", "ray", "--workers", "2", "--block-size", "1"], marks=needs_ray)]


@pytest.mark.parametrize("extra", TAG_RUNS)
def test_tag_lines_are_the_same_for_any_backend_and_workers(request, extra):
    if "ray" in extra:
        request.getfixturevalue("ray_cluster")
    texts = "I write Python and Go code .\nNothing here .\n{\"text\": \"Ruby on Rails and XML\"}\n"
    outs = []
    for run in (["-n", "1"], extra):
        result = runner.invoke(app, ["tag", TAGGER_PACKAGE, "--json", "--explain", *run], input=texts)
        assert result.exit_code == 0, result.output
        outs.append(result.stdout)
    assert len(outs[0].splitlines()) == 3 and json.loads(outs[0].splitlines()[0])["spans"]
    assert outs[0] == outs[1]


def _docbin_content(path):
    from spacy.vocab import Vocab

    return [([t.text for t in d], [t.ent_iob_ for t in d], [(e.start, e.end, e.label_) for e in d.ents])
            for d in DocBin().from_disk(path).get_docs(Vocab())]


WEAK_RUNS = [["-n", "2"], ["-n", "2", "--block-size", "40"],
             pytest.param(["--backend", "ray", "--workers", "1"], marks=needs_ray),
             pytest.param(["--backend", "ray", "--workers", "2", "--block-size", "40"], marks=needs_ray)]


@pytest.mark.parametrize("extra", WEAK_RUNS)
def test_weak_label_file_is_the_same_bytes_for_any_backend_and_workers(request, data_dir, tmp_path, extra):
    if "ray" in extra:
        request.getfixturevalue("ray_cluster")
    for name, run in (("one.spacy", ["-n", "1"]), ("other.spacy", extra)):
        result = runner.invoke(app, ["weak-label", TAGGER_PACKAGE, str(data_dir / "dev.txt"),
                                     str(tmp_path / name), "--limit", "150", "--missing",
                                     "undecided+rejected", *run])
        assert result.exit_code == 0, result.output
    content = _docbin_content(tmp_path / "one.spacy")
    assert len(content) == 150 and any(ents for _, _, ents in content)
    assert (tmp_path / "one.spacy").read_bytes() == (tmp_path / "other.spacy").read_bytes()


@needs_ray
def test_ray_weak_label_reads_parquet_like_local(ray_cluster, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    texts = ["I use Python daily .", "", "Go and Rust are fast .", "Nothing here ."] * 5
    pq.write_table(pa.table({"text": texts, "id": list(range(len(texts)))}), tmp_path / "in.parquet",
                   row_group_size=7)
    outs = []
    for name, extra in (("local.spacy", []), ("ray.spacy", ["--backend", "ray", "--block-size", "3"])):
        result = runner.invoke(app, ["weak-label", TAGGER_PACKAGE, str(tmp_path / "in.parquet"),
                                     str(tmp_path / name), *extra])
        assert result.exit_code == 0, result.output
        outs.append(_docbin_content(tmp_path / name))
    assert len(outs[0]) == len(texts)
    assert outs[0] == outs[1]


def test_ray_backend_without_ray_says_how_to_install(pipeline, conll, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    monkeypatch.delitem(sys.modules, "spacy_rulelang.backends.ray_backend", raising=False)
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", pipeline, str(conll), "-o", str(out),
                                 "--backend", "ray"])
    said = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "E171" in said and 'pip install "spacy-rulelang[ray]"' in said
    assert not out.exists()
    local = runner.invoke(app, ["compare", pipeline, str(conll), "-o", str(out)])
    assert local.exit_code == 0, local.output  # nothing else changes


def test_ray_settings_with_the_local_backend_are_an_error(pipeline, conll, tmp_path):
    result = runner.invoke(app, ["compare", pipeline, str(conll), "-o", str(tmp_path / "o"),
                                 "--address", "auto"])
    assert result.exit_code == 1 and "E173" in result.output
    result = runner.invoke(app, ["compare", pipeline, str(conll), "-o", str(tmp_path / "o"),
                                 "--backend", "spark"])
    assert result.exit_code == 1 and "E170" in result.output


@needs_ray
def test_ray_start_error_reads_as_one_sentence(monkeypatch):
    """E174 quotes Ray's own error, which ends in a period: no ".." in the message."""
    from spacy_rulelang.backends import RayOptions, load_ray_backend

    ray_backend = load_ray_backend()

    def refuse(**kwargs):
        raise ConnectionError("Could not find any running Ray instance. Please specify the one to connect to.")

    monkeypatch.setattr(ray_backend.ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray_backend.ray, "init", refuse)
    with pytest.raises(ValueError) as error:
        with ray_backend.ray_session(RayOptions(address="auto")):
            pass
    said = str(error.value)
    assert "E174" in said and "connect to. Without --address" in said and ".." not in said


@needs_ray
def test_ray_backend_with_n_process_is_an_error(pipeline, conll, tmp_path):
    """On the command line -n is the pool size of either backend; the function API's two
    settings must not both be given."""
    from spacy_rulelang.backends import RayOptions
    from spacy_rulelang.compare.runner import CompareOptions

    with pytest.raises(ValueError, match="E177"):
        CompareOptions(n_process=2, ray=RayOptions(workers=2)).check()


@needs_ray
def test_ray_is_quiet_by_default_and_logs_next_to_the_output(pipeline, conll, tmp_path):
    """A fresh embedded Ray, as a user starts it: nothing of Ray's on the terminal (no INFO
    line, no token-auth notice), its logs in OUT/ray.log; --verbose shows them."""
    env = {k: v for k, v in os.environ.items() if k != TEST_EXIT_ONCE_ENV}
    env["RAY_worker_niceness"] = "0"
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "spacy_rulelang", "compare", pipeline, str(conll),
                           "-o", str(out), "--backend", "ray", "--workers", "1"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    said = done.stdout + done.stderr
    assert "Compared" in said
    for noise in ("INFO", "WARNING", "Token authentication", "core_worker", "Ray instance"):
        assert noise not in said, said
    log = (out / "ray.log").read_text(encoding="utf8")
    assert "INFO" in log and "ray.data" in log
    bench = subprocess.run([sys.executable, "-m", "spacy_rulelang", "benchmark-compare", pipeline, str(conll),
                            "--backend", "ray", "--workers", "1", "--repeat", "1"],
                           capture_output=True, text=True, env=env, timeout=300)
    said = bench.stdout + bench.stderr
    assert bench.returncode == 0 and "same bytes" in said, said
    for noise in ("INFO", "WARNING", "Token authentication", "core_worker", "Ray instance"):
        assert noise not in said, said


@pytest.fixture
def conll(tmp_path):
    return write_conll(tmp_path / "small.conll")


def _synthetic_docs(seed: int = 0, n: int = 60):
    """(words, disagreements with rule names, rule spans, gold) for random small docs."""
    rng = random.Random(seed)
    vocab = ["python", "Java", "go", "C", "rust", "the", "code", "in", "Ruby", "XML"]
    docs = []
    for _ in range(n):
        words = [rng.choice(vocab) for _ in range(rng.randint(3, 8))]
        spans = lambda k: sorted({(s, s + 1, "PROG_LANG") for s in rng.sample(range(len(words)), k)})  # noqa: E731
        rules, model, gold = spans(rng.randint(0, 2)), spans(rng.randint(0, 2)), spans(rng.randint(0, 2))
        rule_of = {s: rng.choice(["cue_after", "unambiguous_alias"]) for s in rules}
        found = [replace(d, rule=rule_of.get(d.rule_span)) for d in find_disagreements(rules, model, gold)]
        docs.append((words, found, [(s, rule_of[s]) for s in rules], gold))
    return docs


def _counts(docs) -> RankCounts:
    counts = RankCounts()
    for words, found, rules, gold in docs:
        counts.add_surfaces(found, words)
        counts.rules.add(rules, gold)
    return counts


def _scores(ranker: Ranker, docs):
    return [[d.score for d in ranker.score(found, words)] for words, found, _, _ in docs]


def test_ranking_is_order_free_merged_from_any_blocks():
    docs = _synthetic_docs()
    single = _scores(Ranker.from_counts(_counts(docs)), docs)
    assert len({s for doc in single for s in doc}) > 3  # the counts do change the scores
    for seed in range(5):
        rng = random.Random(seed)
        shuffled = docs[:]
        rng.shuffle(shuffled)
        cuts = sorted(rng.sample(range(1, len(docs)), rng.randint(1, 6)))
        blocks = [shuffled[a:b] for a, b in zip([0] + cuts, cuts + [len(docs)])]
        merged = RankCounts()
        for block in reversed(blocks):
            merged.merge(_counts(block))
        assert _scores(Ranker.from_counts(merged), docs) == single
        assert merged.rules.table() == _counts(docs).rules.table()


def test_summary_merged_from_any_blocks_equals_one_pass():
    docs = _synthetic_docs(seed=1)
    names = ["cue_after", "unambiguous_alias"]

    def summary(part) -> SummaryStats:
        stats = SummaryStats(names)
        for words, found, rules, gold in part:
            stats.read()
            stats.add(len(words), rules, [], gold, found)
        return stats

    one = summary(docs).to_dict({})
    merged = SummaryStats(names)
    for start in (45, 0, 30, 15):  # blocks in any order
        merged.merge(summary(docs[start:start + 15]))
    assert merged.to_dict({}) == one and one["docs"]["in"] == len(docs)


def test_rule_counts_merge_equals_one_pass():
    one, a, b = RuleCounts(["r"]), RuleCounts(["r"]), RuleCounts()
    docs = [([((0, 1), "r"), ((2, 3), "s")], [(0, 1)]), ([((1, 2), "r")], None), ([((4, 5), "s")], [(4, 5)])]
    for i, (pred, gold) in enumerate(docs):
        one.add(pred, gold)
        (a if i % 2 else b).add(pred, gold)
    assert b.merge(a).table() == one.table() and one.tp_fp()["s"] == (1, 1)
