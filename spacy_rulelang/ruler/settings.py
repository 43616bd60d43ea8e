"""Declare a component's settings once, as a dataclass, and derive its factory from it.

spaCy reads a factory's signature to validate the config and its `default_config`
for the defaults. Writing both by hand, plus the class's keyword arguments, kept
every setting in four places; here the dataclass is the one place.
"""
from __future__ import annotations

import inspect
from dataclasses import MISSING, fields
from typing import Any, Callable, Dict, Type, get_type_hints

from spacy.language import Language


def default_config(settings_cls: Type, **extra: Any) -> Dict[str, Any]:
    """The dataclass's defaults as a config dict (tuples as lists), plus `extra` entries."""
    config: Dict[str, Any] = {}
    for f in fields(settings_cls):
        value = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        config[f.name] = list(value) if isinstance(value, tuple) else value
    config.update(extra)
    return config


def with_settings_signature(settings_cls: Type, **extra: Any) -> Callable[[Callable], Callable]:
    """Give `factory(nlp, name, **settings)` the signature spaCy validates the config with:
    one typed parameter per dataclass field, plus `extra` parameters (name -> annotation)."""
    hints = get_type_hints(settings_cls)
    params = [inspect.Parameter("nlp", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Language),
              inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=str)]
    params += [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[f.name])
               for f in fields(settings_cls)]
    params += [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, annotation=v) for k, v in extra.items()]

    def decorate(factory: Callable) -> Callable:
        factory.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        return factory

    return decorate
