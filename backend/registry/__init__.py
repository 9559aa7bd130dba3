"""The model registry: models, versions, deployment aliases, stage runs, the states every
version walks, the artifact store and the model files.

:class:`Registry` is the one writer of a version's state (through :func:`apply_transition`),
so the rules that guard a state are enforced here whichever door is used.
"""

from backend.registry.store import Registry, apply_transition

__all__ = ["Registry", "apply_transition"]
