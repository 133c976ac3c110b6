"""fuseflow: a small workflow language compiled to local Python, Ray, Prefect and KFP."""

__version__ = "0.1.0"
