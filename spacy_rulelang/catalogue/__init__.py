"""The language catalogue as the component loads it: entries, aliases, validation.

Building the catalogue from GitHub Linguist lives apart, in `catalogue.build`, which only the
`catalogue` command imports."""
