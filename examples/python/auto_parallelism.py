# The MXNet listings of the chapter "Automatic Parallelism" (auto-parallelism.md), in order,
# with only the import lines changed to ndflow's. Chapter sizes; the test suite runs this
# file with smaller ones (tests/python/test_chapter_listings.py).
#
# The chapter wants two GPUs. d2l.try_all_gpus() returns every GPU; on a machine without
# one it returns the CPU twice, so the listings run on the engine's CPU workers.
from ndflow import d2l
from ndflow import np, npx
npx.set_np()

# --- Parallel Computation on GPUs
devices = d2l.try_all_gpus()
def run(x):
    return [x.dot(x) for _ in range(50)]

x_gpu1 = np.random.uniform(size=(4000, 4000), ctx=devices[0])
x_gpu2 = np.random.uniform(size=(4000, 4000), ctx=devices[1])

run(x_gpu1)  # Warm-up both devices
run(x_gpu2)
npx.waitall()  

with d2l.Benchmark('GPU1 time'):
    run(x_gpu1)
    npx.waitall()

with d2l.Benchmark('GPU2 time'):
    run(x_gpu2)
    npx.waitall()

with d2l.Benchmark('GPU1 & GPU2'):
    run(x_gpu1)
    run(x_gpu2)
    npx.waitall()

# --- Parallel Computation and Communication
def copy_to_cpu(x):
    return [y.copyto(npx.cpu()) for y in x]

with d2l.Benchmark('Run on GPU1'):
    y = run(x_gpu1)
    npx.waitall()

with d2l.Benchmark('Copy to CPU'):
    y_cpu = copy_to_cpu(y)
    npx.waitall()

with d2l.Benchmark('Run on GPU1 and copy to CPU'):
    y = run(x_gpu1)
    y_cpu = copy_to_cpu(y)
    npx.waitall()
