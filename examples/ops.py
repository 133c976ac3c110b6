"""Functions for the arith example (functionfuse's add/minus test)."""


def add(a, b):
    return a + b


def minus(a, b):
    return a - b
