import numpy as np


def scale(values):
    return list(np.asarray(values) / max(values))
