"""Reading and writing: corpora and input kinds, JSONL and text files, atomic outputs, the
local worker pool, pipeline loading and span arithmetic. Imports nothing above it."""
