"""How good rules, model and combination are: entity-level P/R/F1 per system, per-rule counts,
and the rule benchmark."""
