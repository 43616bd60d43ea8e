"""A component's exception is the same coded error (E140) with one process or several;
an error of the input itself is not wrapped."""
import pytest
import spacy
from spacy.language import Language

from spacy_rulelang.io.parallel import pipe_in_processes


@Language.component("test_parallel_errors_raise")
def raise_on_marker(doc):
    if "KABOOM" in doc.text:
        raise RuntimeError(f"kaboom in {doc.text!r}")
    return doc


TEXTS = [f"Python and Rust, line {i}" for i in range(12)] + ["a KABOOM here"]


@pytest.mark.parametrize("n_process", [1, 2])
def test_component_error_is_e140_with_any_n_process(n_process):
    nlp = spacy.blank("en")
    nlp.add_pipe("test_parallel_errors_raise")
    with pytest.raises(ValueError, match=r"\[E140\]") as err:
        list(pipe_in_processes(nlp, ((t, i) for i, t in enumerate(TEXTS)), n_process=n_process,
                               batch_size=4))
    assert f"n_process={n_process}" in str(err.value) and "RuntimeError: kaboom in" in str(err.value)
    assert err.value.__cause__ is not None


def test_input_error_is_not_wrapped_with_one_process():
    def items():
        yield "Python", 0
        raise KeyError("the reader failed")

    nlp = spacy.blank("en")
    with pytest.raises(KeyError, match="the reader failed"):
        list(pipe_in_processes(nlp, items(), n_process=1, batch_size=4))
