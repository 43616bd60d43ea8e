"""The `rulelang` component: candidates from the catalogue, the rule engine, the rule table,
corpus conventions and the POS source. Everything a pipeline runs to find language names."""
