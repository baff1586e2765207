"""The payment rules, callable without HTTP."""
