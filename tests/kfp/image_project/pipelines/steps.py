import helpers


def prepare(n):
    return helpers.numbers(n)
