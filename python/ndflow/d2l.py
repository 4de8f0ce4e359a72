"""The helpers the book's chapters import from d2l (`from ndflow import d2l`)."""

import time

from . import npx


class Benchmark:
    """Times a block and prints "<description>: <seconds> sec", as the book's d2l does."""

    def __init__(self, description="Done"):
        self.description = description
        self.elapsed = None

    def __enter__(self):
        self.start = time.time()
        return self

    def __exit__(self, *args):
        self.elapsed = time.time() - self.start
        print(f"{self.description}: {self.elapsed:.4f} sec")


def num_gpus():
    return npx.num_gpus()


def try_gpu(i=0):
    """gpu(i) if it exists, else cpu()."""
    return npx.gpu(i) if npx.num_gpus() >= i + 1 else npx.cpu()


def try_all_gpus():
    """Every GPU; on a machine without one, the CPU twice.

    The book's listings index devices[0] and devices[1]. Without a GPU both name the same
    CPU, so those listings still run: their work goes to the engine's CPU workers.
    """
    gpus = [npx.gpu(i) for i in range(npx.num_gpus())]
    return gpus if gpus else [npx.cpu(), npx.cpu()]
