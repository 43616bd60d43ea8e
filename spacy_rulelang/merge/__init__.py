"""Combining rules and a model: the hand-set v1 merge, the learned merge, its features and
fitting, merge policies and the model-confidence component."""
