"""Monitoring: what production does with a model once it serves, read from the prediction log
(Parquet by model and day) and judged against the baseline that was signed off."""
