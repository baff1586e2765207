"""paylink benchmarks: `.venv/bin/python -m bench [--quick]` prints a table of ratios."""
