"""Pure scorers: text in, scores out; no database."""
