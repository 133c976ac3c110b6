"""A stateful object for the counter example: method calls run in order on one object."""


class IncrementalSum:
    def __init__(self, start=0):
        self.total = start

    def add(self, n):
        self.total += n
        return self.total


def minus(a, b):
    return a - b
