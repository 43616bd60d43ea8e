"""Property test: odd inputs never raise."""
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ODD = st.sampled_from(["", " ", "\n\t", "\u200b", "\ufeff", "C#", "C++", "go", "Go 1.21", "🐍", "ℝ", "ǅ",
                       "\u0301", "a\u0000b", "/", "-", "(", "html/", "-C", "python3.", "es", "ES"])
TEXTS = st.one_of(
    st.text(max_size=200),
    st.lists(ODD, max_size=30).map(" ".join),
    st.lists(ODD, max_size=30).map("".join),
    st.just(" ".join(["Python", "go", "C#", "html/css"] * 2500)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_robustness_odd_texts_never_raise(rule_nlp, text):
    doc = rule_nlp(text)
    for span in doc.spans["rulelang"]:
        assert span.text and span._.rulelang_rule


@settings(max_examples=100, deadline=None)
@given(text=TEXTS)
def test_robustness_blank_pipeline_without_pos_checks(text):
    nlp = _blank()
    doc = nlp(text)
    assert all(s._.rulelang_rule for s in doc.spans["rulelang"])


_NLP = []


def _blank():
    if not _NLP:
        nlp = spacy.blank("en")
        nlp.add_pipe("rulelang", config={"pos_checks": False})
        _NLP.append(nlp)
    return _NLP[0]
