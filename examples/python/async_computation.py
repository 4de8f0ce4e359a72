# The MXNet listings of the chapter "Asynchronous Computation" (async-computation.rst), in
# order, with only the import lines changed to ndflow's. Chapter sizes; the test suite runs
# this file with smaller ones (tests/python/test_chapter_listings.py).
import os
import subprocess
import numpy
from ndflow import np, npx
from ndflow import d2l

npx.set_np()

# --- Asynchrony via Backend
with d2l.Benchmark('numpy'):
    for _ in range(10):
        a = numpy.random.normal(size=(1000, 1000))
        b = numpy.dot(a, a)

with d2l.Benchmark('mxnet.np'):
    for _ in range(10):
        a = np.random.normal(size=(1000, 1000))
        b = np.dot(a, a)

with d2l.Benchmark():
    for _ in range(10):
        a = np.random.normal(size=(1000, 1000))
        b = np.dot(a, a)
    npx.waitall()

x = np.ones((1, 2))
y = np.ones((1, 2))
z = x * y + 2
z

# --- Barriers and Blockers
with d2l.Benchmark('waitall'):
    b = np.dot(a, a)
    npx.waitall()

with d2l.Benchmark('wait_to_read'):
    b = np.dot(a, a)
    b.wait_to_read()

with d2l.Benchmark('numpy conversion'):
    b = np.dot(a, a)
    b.asnumpy()

with d2l.Benchmark('scalar conversion'):
    b = np.dot(a, a)
    b.sum().item()

# --- Improving Computation
with d2l.Benchmark('synchronous'):
    for _ in range(10000):
        y = x + 1
        y.wait_to_read()

with d2l.Benchmark('asynchronous'):
    for _ in range(10000):
        y = x + 1
    npx.waitall()
