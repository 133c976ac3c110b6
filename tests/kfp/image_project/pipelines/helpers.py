def numbers(n):
    return list(range(n))
