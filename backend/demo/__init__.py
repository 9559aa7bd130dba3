"""The embedded demo: real models, trained by the real pipeline on real data in ``examples/``."""

from backend.demo.people import DEMO_ACCOUNTS
from backend.demo.seed import (
    DEMO_FACT,
    DEMO_RUNS,
    DemoRefused,
    demo_status,
    examples_dir,
    seed_demo,
)

__all__ = ["seed_demo", "DEMO_RUNS", "DEMO_ACCOUNTS", "DEMO_FACT", "DemoRefused", "demo_status", "examples_dir"]
