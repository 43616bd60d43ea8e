"""Ids that look the same to a reader (case, full width, invisible characters) are refused."""
import json

import pytest

from spacy_rulelang.catalogue.load import entries_from_jsonl, load_catalogue, read_catalogue


@pytest.mark.parametrize("other", ["ZZ", "\uff5a\uff5a", "z\u200bz", "Zz\u200d"])
def test_catalogue_near_duplicate_id_is_refused(tmp_path, other):
    path = tmp_path / "langs.jsonl"
    lines = [json.dumps({"id": "zz", "name": "Zz lang", "aliases": ["zzlang"]}),
             json.dumps({"id": "ab", "name": "Ab lang"}),
             json.dumps({"id": other, "name": "Other zz", "aliases": ["otherzz"]}, ensure_ascii=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    with pytest.raises(ValueError, match=r"\[E272\]") as err:
        read_catalogue(path)
    assert f"{path}, line 3" in str(err.value) and "line 1" in str(err.value)
    with pytest.raises(ValueError, match=r"\[E272\]"):
        entries_from_jsonl(path.read_bytes(), str(path))


def test_catalogue_near_duplicate_of_a_packaged_id_is_refused(tmp_path):
    path = tmp_path / "langs.jsonl"
    path.write_text(json.dumps({"id": "PYTHON", "name": "Snake lang", "aliases": ["snakelang"]}) + "\n",
                    encoding="utf8")
    with pytest.raises(ValueError, match=r"\[E272\]") as err:
        load_catalogue(path, extend=True)
    assert f"{path}, line 1" in str(err.value) and "'python'" in str(err.value)


def test_catalogue_distinct_ids_are_accepted(tmp_path):
    path = tmp_path / "langs.jsonl"
    path.write_text(json.dumps({"id": "zz", "name": "Zz lang"}) + "\n" +
                    json.dumps({"id": "zz2", "name": "Zz two"}) + "\n", encoding="utf8")
    assert [e.id for e in read_catalogue(path)] == ["zz", "zz2"]
