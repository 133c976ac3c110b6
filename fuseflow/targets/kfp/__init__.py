"""The KFP target: the pipeline-spec generator, kfp.local runs, and the program of every step (step.py).

Imports nothing itself: a step in its image imports step.py alone.
"""
