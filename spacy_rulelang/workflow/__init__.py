"""The spaCy project's workflow steps as plain functions: assets, base check, trf, package.

The typer commands in `spacy_rulelang.cli.project_helpers` are thin wrappers over these.
"""
from spacy_rulelang.workflow.assets import ASSETS, UPSTREAM, fetch_assets, md5sum
from spacy_rulelang.workflow.base_pipeline import POS_COMPONENTS, check_base
from spacy_rulelang.workflow.packaging import package_pipeline, wheel_path
from spacy_rulelang.workflow.transformer import DEFAULT_TRANSFORMER, resolve_transformer, train_trf

__all__ = ["ASSETS", "UPSTREAM", "fetch_assets", "md5sum", "POS_COMPONENTS", "check_base",
           "DEFAULT_TRANSFORMER", "resolve_transformer", "train_trf", "package_pipeline",
           "wheel_path"]
