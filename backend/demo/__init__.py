"""The embedded demo: real models, trained by the real pipeline on real data in ``examples/``."""

from backend.demo.people import DEMO_ACCOUNTS
from backend.demo.seed import DEMO_RUNS, examples_dir, seed_demo

__all__ = ["seed_demo", "DEMO_RUNS", "DEMO_ACCOUNTS", "examples_dir"]
