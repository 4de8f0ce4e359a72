"""Asynchrony, blockers, the GIL, Python threads, the profiler and the d2l helpers.

Timing checks compare two durations measured in the same run with generous factors, and
grow the workload until it is long enough to measure, so a slow or busy machine does not
make them flaky.
"""

import gc
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings

import numpy as onp
import pytest

from conftest import TEST_DEVICE
from ndflow import _ndflow, d2l, np, npx, profiler

THREADED = _ndflow.engine_kind() == "threaded"
needs_threaded = pytest.mark.skipif(not THREADED, reason="NDFLOW_ENGINE=naive runs ops at once")

N = 256  # matrix size of the workloads: a few ms per matmul on one core


def _matrix(seed=0, n=N):
    """A well-conditioned float32 matrix whose powers stay bounded: I/2 + small noise."""
    rng = onp.random.default_rng(seed)
    return (0.5 * onp.eye(n) + rng.uniform(-0.5, 0.5, (n, n)) / n).astype("float32")


def _push_chain(x, a, steps):
    """steps matmuls, each depending on the one before; returns the last result."""
    for _ in range(steps):
        x = (x @ a) * 2.0
    return x


def _numpy_chain(x, a, steps):
    for _ in range(steps):
        x = (x @ a) * 2.0
    return x


def _timed_chain(a_np, min_wait=0.05, max_steps=640):
    """Pushes a chain of matmuls long enough that waiting for it takes at least `min_wait`
    seconds (doubling the length until it does); returns (push_s, wait_s, result, steps)."""
    a = np.array(a_np)
    a.wait_to_read()
    steps = 10
    while True:
        t0 = time.perf_counter()
        out = _push_chain(a, a, steps)
        t1 = time.perf_counter()
        out.wait_to_read()
        t2 = time.perf_counter()
        if t2 - t1 >= min_wait or steps >= max_steps:
            return t1 - t0, t2 - t1, out, steps
        steps *= 2


# ---------------------------------------------------------------------------------------
# Operations return before their work is done
# ---------------------------------------------------------------------------------------


@needs_threaded
def test_ops_return_before_the_work_is_done():
    a_np = _matrix()
    push, wait, out, steps = _timed_chain(a_np)
    # Pushing is bookkeeping; the work happens while we wait. Generous: 3x.
    assert push * 3 < wait, f"push {push:.4f}s, wait {wait:.4f}s for {steps} matmuls"
    expected = _numpy_chain(a_np, a_np, steps)
    # The chain's length depends on the machine's speed (up to 640 float32 products): its
    # rounding grows with it, so small entries are compared on the result's scale.
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=2e-3,
                                atol=1e-5 * float(onp.abs(expected).max()))


@needs_threaded
def test_engine_has_work_in_flight_right_after_a_push():
    # On the CPU: there an engine op lasts as long as its kernel. A GPU op ends in the engine
    # once its kernel is issued (the stream runs it later), so the engine may be idle while
    # the GPU is busy; test_ops_return_before_the_work_is_done covers GPUs.
    a = np.array(_matrix(), device=npx.cpu())
    a.wait_to_read()
    before = _ndflow.engine_stats()["ops_pushed"]
    out = _push_chain(a, a, 40)
    stats = _ndflow.engine_stats()
    assert stats["ops_pushed"] - before >= 80
    assert stats["ops_inflight"] > 0  # not all done yet: 40 matmuls take far longer than pushing
    npx.waitall()
    assert _ndflow.engine_stats()["ops_inflight"] == 0
    assert out.shape == (N, N)


@pytest.mark.parametrize(
    "blocker",
    ["wait_to_read", "asnumpy", "item", "print", "str", "repr", "tolist", "float", "waitall",
     "__array__", "dlpack"],
)
def test_blockers_wait_and_give_right_values(blocker, capsys):
    a_np = _matrix(1)
    a = np.array(a_np)
    steps = 30
    out = _push_chain(a, a, steps)  # returns at once; the value is not there yet
    expected = _numpy_chain(a_np, a_np, steps)
    total = out.sum()
    expected_total = expected.sum()
    tol = dict(rtol=2e-3, atol=1e-3)
    if blocker == "wait_to_read":
        assert out.wait_to_read() is None
        got = out.asnumpy()
    elif blocker == "asnumpy":
        got = out.asnumpy()
    elif blocker == "item":
        onp.testing.assert_allclose(total.item(), expected_total, **tol)
        return
    elif blocker == "float":
        onp.testing.assert_allclose(float(total), expected_total, **tol)
        return
    elif blocker in ("print", "str", "repr"):
        corner = out[0, 0]
        text = {"print": lambda: print(corner) or capsys.readouterr().out,
                "str": lambda: str(corner), "repr": lambda: repr(corner)}[blocker]()
        assert repr(npx.current_device()) in text
        value = float(re.search(r"-?\d+\.\d*(e[-+]\d+)?", text).group(0))
        onp.testing.assert_allclose(value, expected[0, 0], rtol=1e-3, atol=1e-4)
        return
    elif blocker == "tolist":
        got = onp.array(out.tolist())
    elif blocker == "waitall":
        npx.waitall()
        got = out.asnumpy()
    elif blocker == "__array__":
        got = onp.asarray(out)
    else:
        got = onp.from_dlpack(out, device="cpu").copy()  # a copy where out is on a GPU
    onp.testing.assert_allclose(got, expected, **tol)


def test_in_place_ops_are_ordered_with_reads():
    x = np.zeros((64, 64))
    snapshots = []
    for i in range(50):
        x += 1
        snapshots.append(x.copy())  # reads x after the i-th write, before the next
        x *= 1  # another write in between
    for i, s in enumerate(snapshots):
        assert s.asnumpy()[0, 0] == i + 1
    assert x.asnumpy().min() == 50


def test_views_are_ordered_with_writes_to_their_base():
    base = np.zeros((4, 100))
    rows = [base[i] for i in range(4)]
    sums = []
    for step in range(20):
        base += 1
        sums.append([r.sum() for r in rows])
    for step, row_sums in enumerate(sums):
        assert [s.item() for s in row_sums] == [100.0 * (step + 1)] * 4


def test_dlpack_import_keeps_source_alive_while_ops_are_pending():
    a_np = _matrix(2)
    src = a_np.copy()
    x = np.from_dlpack(src)
    out = _push_chain(x, x, 20)
    del src, x
    gc.collect()
    onp.testing.assert_allclose(out.asnumpy(), _numpy_chain(a_np, a_np, 20), rtol=2e-3, atol=1e-4)


@pytest.mark.host_memory
def test_dlpack_export_outlives_the_ndarray():
    x = np.arange(1000, dtype="int64") * 3
    n = onp.from_dlpack(x)
    del x
    gc.collect()
    _ = [np.ones(1000) for _ in range(10)]  # reuse memory, if it had been freed
    npx.waitall()
    onp.testing.assert_array_equal(n, onp.arange(1000) * 3)


@pytest.mark.host_memory
def test_dlpack_export_waits_for_pending_reads_before_the_consumer_writes():
    # The read of x waits behind a chain on another array. NumPy's view of the export is
    # writable, so the export must not return before that read has run: else the write
    # below lands first and the read sees 7s.
    a_np = _matrix(3)
    x = np.ones((N, N))
    x.wait_to_read()
    slow = _push_chain(np.array(a_np), np.array(a_np), 20)
    total = x + slow  # reads x once the chain is done
    view = onp.from_dlpack(x)
    view[...] = 7.0
    expected = 1.0 + _numpy_chain(a_np, a_np, 20)
    onp.testing.assert_allclose(total.asnumpy(), expected, rtol=2e-3, atol=1e-4)


def test_many_small_ops_and_releases():
    acc = np.zeros(10)
    for i in range(2000):
        acc = acc + np.full((10,), i, dtype="float32")
    onp.testing.assert_allclose(acc.asnumpy(), onp.full(10, sum(range(2000)), dtype="float32"))


# ---------------------------------------------------------------------------------------
# Interpreter exit
# ---------------------------------------------------------------------------------------


def _run_script(code, timeout, env=None):
    """Runs `code` in a fresh interpreter (with `env` added to the environment); returns
    (returncode or "timeout", output)."""
    try:
        done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                              text=True, timeout=timeout, env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return "timeout", ""
    return done.returncode, done.stdout + done.stderr


def test_exit_with_work_in_flight_and_imported_memory():
    code = """
        import numpy as onp
        from ndflow import np
        a = np.random.uniform(size=(200, 200))
        out = a
        for _ in range(30):
            out = out @ a * 0.01
        src = onp.ones(1000, dtype="float32")
        x = np.from_dlpack(src)
        y = x * 2
        for _ in range(20):
            y = y + x
        del src, x
        print("bye")
    """
    rc, out = _run_script(code, timeout=60)
    assert rc == 0, out
    assert out.strip() == "bye"


def test_exit_after_non_daemon_threads_finish():
    code = """
        import threading
        from ndflow import np
        def work():
            z = np.ones((100, 100))
            for _ in range(20):
                z = z @ z * 0.01
        ts = [threading.Thread(target=work) for _ in range(3)]
        for t in ts: t.start()
        print("bye")
    """
    rc, out = _run_script(code, timeout=60)
    assert rc == 0, out


# Exit finishes the ops a daemon thread has pushed (a backlog of up to NDFLOW_MAX_INFLIGHT):
# about 2 s here, so the timeout only catches a hang. The arrays the thread still holds are
# never freed (CPython stops daemon threads without unwinding them); that is no leak in
# ndflow's bindings, and nanobind must not report it as one.
def test_exit_while_a_daemon_thread_waits():
    code = """
        import threading, time
        from ndflow import np
        def bg():
            z = np.ones((200, 200))
            while True:
                z = (z @ z) * 0.005
                z.wait_to_read()
        threading.Thread(target=bg, daemon=True).start()
        time.sleep(0.1)
        print("bye")
    """
    rc, out = _run_script(code, timeout=60)
    assert rc == 0, out
    assert out.strip() == "bye"


# With a bound of 8 the daemon thread is waiting for room in a push, without the GIL, when
# the interpreter exits.
@needs_threaded
@pytest.mark.parametrize("max_inflight", [None, "8"])
def test_exit_while_a_daemon_thread_pushes(max_inflight):
    code = """
        import threading, time
        from ndflow import np
        def bg():
            z = np.ones((200, 200))
            while True:
                z = (z @ z) * 0.005
        threading.Thread(target=bg, daemon=True).start()
        time.sleep(0.1)
        print("bye")
    """
    rc, out = _run_script(code, timeout=60,
                          env={"NDFLOW_MAX_INFLIGHT": max_inflight} if max_inflight else None)
    assert rc == 0, out
    assert out.strip() == "bye"


# ---------------------------------------------------------------------------------------
# The GIL
# ---------------------------------------------------------------------------------------


def _counting_thread():
    state = {"count": 0, "stop": False}

    def spin():
        while not state["stop"]:
            state["count"] += 1

    t = threading.Thread(target=spin, daemon=True)
    t.start()
    return state, t


@needs_threaded
@pytest.mark.parametrize("blocker", ["waitall", "wait_to_read", "asnumpy", "item"])
def test_blockers_release_the_gil(blocker):
    a_np = _matrix(3)
    a = np.array(a_np)
    a.wait_to_read()
    state, t = _counting_thread()
    try:
        time.sleep(0.01)
        steps = 40
        for _ in range(5):
            out = _push_chain(a, a, steps)
            before = state["count"]
            t0 = time.perf_counter()
            if blocker == "waitall":
                npx.waitall()
            elif blocker == "wait_to_read":
                out.wait_to_read()
            elif blocker == "asnumpy":
                out.asnumpy()
            else:
                out.sum().item()
            waited = time.perf_counter() - t0
            progressed = state["count"] - before
            if waited >= 0.03:
                break
            steps *= 2
    finally:
        state["stop"] = True
        t.join()
    # While the main thread waited, the other Python thread ran. Held GIL: at most a few
    # increments (the other thread would not get it back until the wait ended).
    assert progressed > 1000, f"{progressed} increments in {waited:.3f}s of waiting"


# ---------------------------------------------------------------------------------------
# Ctrl-C
# ---------------------------------------------------------------------------------------


class _Interrupted(Exception):
    """What SIGINT raises in these tests: a stray one then fails a test, not the session."""


def _chain_lasting(a, seconds):
    """Pushes a chain of matmuls that runs for about `seconds`; returns its result and length.

    Scaled from a measured chain of at least 0.1 s: in a short one, waking the BLAS threads
    and the waiter counts for more than the products (on 16 cores, a chain scaled from 10
    steps ran a tenth of the time asked for)."""
    steps = 10
    while True:
        t0 = time.perf_counter()
        _push_chain(a, a, steps).wait_to_read()
        took = time.perf_counter() - t0
        if took >= 0.1 or steps >= 100_000:
            break
        steps *= 4
    steps = max(10, int(seconds * steps / took))
    return _push_chain(a, a, steps), steps


@needs_threaded
@pytest.mark.parametrize("blocker", ["wait_to_read", "waitall", "asnumpy", "item", "print"])
def test_ctrl_c_ends_a_blocked_wait_and_the_ops_run_on(blocker, capsys):
    a_np = _matrix(4, n=384)
    a = np.array(a_np)
    a.wait_to_read()

    def interrupt(signum, frame):
        raise _Interrupted

    ctrl_c = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        out, steps = _chain_lasting(a, 0.8)
        wait = {"wait_to_read": out.wait_to_read, "waitall": npx.waitall,
                "asnumpy": out.asnumpy, "item": lambda: out.sum().item(),
                "print": lambda: print(out)}[blocker]
        t0 = time.perf_counter()
        ctrl_c.start()
        with pytest.raises(_Interrupted):
            wait()
        interrupted = time.perf_counter() - t0
        npx.waitall()  # the chain ran on, and is still there to wait for
        total = time.perf_counter() - t0
    finally:
        ctrl_c.cancel()  # a failed test sends no SIGINT once the default handler is back
        ctrl_c.join()
        signal.signal(signal.SIGINT, previous)
    capsys.readouterr()
    # Without it, the handler would run only once the whole chain was done.
    assert interrupted < total / 2, (
        f"the wait ended {interrupted:.3f}s after it began, the chain {total:.3f}s after")
    expected = _numpy_chain(a_np, a_np, steps)
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=2e-3,
                                atol=1e-5 * float(onp.abs(expected).max()))


# A push that waits for room (NDFLOW_MAX_INFLIGHT) gives up the GIL, and on the main thread
# Ctrl-C ends its wait. The child's watcher can only see a push still waiting after 10 of
# its ticks if the push has let go of the GIL; it then sends SIGINT (pusher on the main
# thread) or stops the pushing thread. With a bound of 160 and matmuls of some 0.1 s
# (about 10 ops a step), each wait lasts some 0.4 s and the work in flight some 1.6 s.
_BLOCKED_PUSH_CHILD = """
    import json, os, signal, threading, time
    import numpy as onp
    from ndflow import _ndflow, np, npx

    PUSHER = "@PUSHER@"  # the thread that pushes: "main" or "thread"

    def matrix(n):
        rng = onp.random.default_rng(0)
        return (0.5 * onp.eye(n) + rng.uniform(-0.5, 0.5, (n, n)) / n).astype("float32")

    def matmul_seconds(a):
        t0 = time.perf_counter()
        (a @ a).wait_to_read()
        return time.perf_counter() - t0

    with npx.cpu():
        # A size whose product takes some 0.1 s or more, so that a push waiting for room (for
        # the ops in flight to fall from 160 to 120) waits well over the watcher's 0.2 s.
        # Measured again at the size picked: small products scale worse than n**3 with many
        # BLAS threads, and a guess from 512 alone fell short on 16 cores.
        n = 512
        for attempt in range(3):
            a_np = matrix(n)
            a = np.array(a_np)
            matmul_seconds(a)  # the first one starts BLAS
            seconds = matmul_seconds(a)
            if seconds >= 0.1 or n >= 6144 or attempt == 2:
                break
            n = int(min(6144, max(256, n * (0.15 / seconds) ** (1 / 3))))
        report = {"n": n, "matmul_s": seconds}
        pushing = {"step": None}  # (step, start) while the pusher is in a push
        stop, finished = threading.Event(), threading.Event()

        def watch():
            seen, ticks = None, 0
            while not finished.is_set():
                now = pushing["step"]
                if now is None or now != seen:
                    seen, ticks = now, 0
                else:
                    ticks += 1
                    if ticks >= 10 and time.perf_counter() - now[1] >= 0.2:
                        report["push_seen_waiting_s"] = time.perf_counter() - now[1]
                        report["sent"] = time.perf_counter()
                        if PUSHER == "main":
                            os.kill(os.getpid(), signal.SIGINT)
                        else:
                            stop.set()
                        return
                time.sleep(0.005)

        def push_chain(out):
            x = a
            try:
                for step in range(300):
                    if stop.is_set():
                        break
                    pushing["step"] = (step, time.perf_counter())
                    x = (x @ a) * 2.0
                    pushing["step"] = None
            except KeyboardInterrupt:
                report["raised"] = time.perf_counter()
            finished.set()
            out.append(x)

        out = []
        if PUSHER == "main":
            threading.Thread(target=watch, daemon=True).start()
            push_chain(out)
        else:
            pusher = threading.Thread(target=push_chain, args=(out,))
            pusher.start()
            watch()
            pusher.join()
        x = out[0]
        t0 = time.perf_counter()
        npx.waitall()
        report["drain_s"] = time.perf_counter() - t0
        report["ops_inflight_peak"] = _ndflow.engine_stats()["ops_inflight_peak"]
        x_np = x.asnumpy()
        expected = (x_np @ a_np) * 2.0
        report["computes_on"] = bool(onp.allclose(((x @ a) * 2.0).asnumpy(), expected,
                                                  rtol=1e-3, atol=1e-5 * abs(expected).max()))
        print(json.dumps(report))
"""


def _run_blocked_push_child(pusher):
    code = _BLOCKED_PUSH_CHILD.replace("@PUSHER@", pusher)
    rc, out = _run_script(code, timeout=300, env={"NDFLOW_MAX_INFLIGHT": "160"})
    assert rc == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    assert "sent" in report, (
        f"no other thread ran while a push waited for room (the GIL was held): {report}")
    assert report["computes_on"], report
    return report


@needs_threaded
def test_a_push_waiting_for_room_on_a_thread_lets_the_main_thread_run():
    _run_blocked_push_child("thread")


@needs_threaded
def test_a_push_waiting_for_room_lets_threads_run_and_ctrl_c_end_it():
    report = _run_blocked_push_child("main")
    assert "raised" in report, f"SIGINT did not end the pushing loop: {report}"
    interrupted = report["raised"] - report["sent"]
    # Without the hook, the interrupt would come only once the push had its room.
    assert interrupted < report["drain_s"] / 2, (
        f"KeyboardInterrupt came {interrupted:.3f}s after SIGINT; the ops in flight took "
        f"{report['drain_s']:.3f}s more: {report}")


# A front end running far ahead holds a bounded amount of memory: the outputs of ops in
# flight and the releases not yet run count against NDFLOW_MAX_INFLIGHT_BYTES (a quarter
# of the machine's memory unless set), and pushes wait past it. Without the bound, this chain
# of 100 steps would pile up some 800 MB of 4 MB results before the first was done. The
# engine's own count is checked; the process's RSS, which the allocators' caches blur,
# is measured in bench/python/run_ahead_memory.py instead.
_RUN_AHEAD_CHILD = """
    import json
    import numpy as onp
    from ndflow import _ndflow, np, npx

    n, steps = 1024, 100
    rng = onp.random.default_rng(0)
    a_np = (0.5 * onp.eye(n) + rng.uniform(-0.5, 0.5, (n, n)) / n).astype("float32")
    with npx.cpu():
        a = np.array(a_np)
        x = a
        for _ in range(steps):
            x = (x @ a) * 2.0
        result = x.asnumpy()
        expected = a_np
        for _ in range(steps):
            expected = (expected @ a_np) * 2.0
        print(json.dumps({"stats": _ndflow.engine_stats(),
                          "right": bool(onp.allclose(result, expected, rtol=1e-3,
                                                     atol=1e-5 * abs(expected).max()))}))
"""


@needs_threaded
def test_a_front_end_running_ahead_holds_bounded_memory():
    bound = 64 << 20
    rc, out = _run_script(_RUN_AHEAD_CHILD, timeout=300,
                          env={"NDFLOW_MAX_INFLIGHT_BYTES": "64M"})
    assert rc == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    stats = report["stats"]
    # Past the bound by what was admitted just under it, and by the releases that ops drop
    # while they run (pushes from inside an op never wait): a few 4 MB arrays.
    assert bound < stats["inflight_bytes_peak"] <= 2 * bound, report
    assert stats["inflight_bytes"] == 0, report
    assert report["right"], report


# ---------------------------------------------------------------------------------------
# fork(): how multiprocessing starts its processes on Linux (before Python 3.14)
# ---------------------------------------------------------------------------------------


def _run_in_forked_child(child, deadline=60.0):
    """Runs child() in a forked process, which exits with what it returns (100 if it raised);
    returns that status, or "hung" after killing a child that runs past the deadline."""
    with warnings.catch_warnings():  # Python 3.12+ warns of fork() in a threaded process
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        code = 100
        try:
            code = child()
        finally:
            os._exit(code)
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "hung"


def test_a_forked_child_finishes_what_was_in_flight_and_computes_on():
    a_np = _matrix(3)
    a = np.array(a_np, device=npx.cpu())
    out = _push_chain(a, a, 20)  # pushed, not done, when the fork comes
    expected = _numpy_chain(a_np, a_np, 20)

    def child():
        # The chain, and new work of the child's own on its own workers.
        if not onp.allclose(out.asnumpy(), expected, rtol=2e-3, atol=1e-6):
            return 1
        more = _push_chain(out, a, 2)
        if not onp.allclose(more.asnumpy(), _numpy_chain(expected, a_np, 2), rtol=2e-3,
                            atol=1e-6):
            return 2
        npx.waitall()
        return 0

    # Without ndflow's fork handlers the child has none of the engine's workers: it hangs.
    assert _run_in_forked_child(child) == 0
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=2e-3, atol=1e-6)
    onp.testing.assert_allclose((out @ a).asnumpy(), expected @ a_np, rtol=2e-3, atol=1e-6)


@pytest.mark.skipif(npx.num_gpus() == 0, reason="no GPU (simulated or CUDA) to fork away from")
def test_a_forked_child_gets_a_clear_error_for_gpus_and_keeps_the_cpu():
    g = np.ones((64, 64), device=npx.gpu(0))
    product = g @ g
    freed_in_child = [g + 2]

    def refused(f):
        try:
            f()
        except RuntimeError as e:
            return "forked from the process that started the GPUs" in str(e)
        return False

    def child():
        failures = 0
        for bit, use in enumerate([lambda: np.ones(2, device=npx.gpu(0)), lambda: g + 1,
                                   lambda: product.asnumpy(), lambda: print(product)]):
            if not refused(use):
                failures |= 1 << bit
        if np.ones(4, device=npx.cpu()).sum().item() != 4:
            failures |= 16
        freed_in_child.clear()  # the parent's GPU memory: freeing it must touch no GPU
        gc.collect()
        npx.waitall()
        return failures

    # Bits: a new GPU array, an op on one, reading one and printing one were not refused
    # saying why (1, 2, 4, 8); the CPU gave a wrong sum (16). A hang: freeing a GPU array
    # or waitall reached for the parent's GPUs.
    assert _run_in_forked_child(child) == 0
    assert float(product.sum().item()) == 64.0 * 64 * 64


# ---------------------------------------------------------------------------------------
# Python threads
# ---------------------------------------------------------------------------------------


def _run_threads(target, count):
    errors = []
    results = [None] * count

    def run(i):
        try:
            results[i] = target(i)
        except BaseException as e:  # noqa: BLE001 -- reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def test_threads_creating_and_computing_arrays():
    threads, ops = 4, 200

    def work(i):
        rng = onp.random.default_rng(100 + i)
        a_np = rng.uniform(-1, 1, (16, 16)).astype("float64")
        b_np = rng.uniform(-1, 1, (16,)).astype("float64")
        x, b = np.array(a_np), np.array(b_np)
        ref = a_np.copy()
        for k in range(ops // 4):
            x = x * 0.5 + b  # 2 ops
            x = np.tanh(x)  # 1 op
            x = x.T @ np.eye(16, dtype="float64")  # creation + matmul
            ref = onp.tanh(ref * 0.5 + b_np).T
        return x.asnumpy(), ref

    for got, ref in _run_threads(work, threads):
        onp.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)


def test_threads_sharing_one_input():
    shared_np = _matrix(4, 64)
    shared = np.array(shared_np)

    def work(i):
        out = shared
        for _ in range(50):
            out = np.maximum((out @ shared) * 2.0, -1.0)
        return out.sum().item()

    results = _run_threads(work, 4)
    ref = shared_np.astype("float64")
    for _ in range(50):
        ref = onp.maximum((ref @ shared_np) * 2.0, -1.0)
    expected = ref.sum()
    for r in results:
        onp.testing.assert_allclose(r, expected, rtol=1e-3)


def test_threads_with_in_place_updates_and_random():
    def work(i):
        x = np.zeros((32,), dtype="int64")
        for k in range(200):
            x += k
            if k % 50 == 0:
                np.random.uniform(size=(8, 8)).wait_to_read()
        return x.asnumpy()

    for got in _run_threads(work, 4):
        onp.testing.assert_array_equal(got, onp.full(32, sum(range(200))))


def test_threads_updating_one_array_in_place():
    shared = np.zeros((64,), dtype="int64")

    def work(i):
        for k in range(200):
            s = shared  # in place on the one shared array (no rebinding)
            s += 1
            part = shared[i * 16:(i + 1) * 16]
            part *= 1
        return None

    _run_threads(work, 4)
    onp.testing.assert_array_equal(shared.asnumpy(), onp.full(64, 800))


def test_threads_importing_and_dropping_dlpack_memory():
    def work(i):
        total = 0.0
        for k in range(50):
            src = onp.full(256, float(i + k), dtype="float64")
            x = np.from_dlpack(src)
            y = (x * 2).sum()
            del src, x
            if k % 10 == 0:
                gc.collect()
            total += y.item()
        return total

    results = _run_threads(work, 4)
    for i, r in enumerate(results):
        assert r == sum(512.0 * (i + k) for k in range(50))


def test_waitall_from_several_threads_at_once():
    a = np.array(_matrix(5, 128))

    def work(i):
        out = _push_chain(a, a, 20)
        npx.waitall()
        return out.asnumpy()

    results = _run_threads(work, 4)
    for r in results[1:]:
        onp.testing.assert_array_equal(r, results[0])


# ---------------------------------------------------------------------------------------
# Profiler
# ---------------------------------------------------------------------------------------


def _op_events(trace):
    return [e for e in trace["traceEvents"] if e.get("ph") == "X"]


def test_profiler_records_ops(tmp_path):
    profiler.start()
    x = np.ones((20, 20))
    y = np.tanh(x @ x).sum()
    y.wait_to_read()
    profiler.stop()

    text = profiler.dumps()
    trace = json.loads(text)
    assert "traceEvents" in trace
    names = {e["name"] for e in _op_events(trace)}
    assert {"matmul", "tanh", "sum"} <= names, names
    for e in _op_events(trace):
        assert e["dur"] >= 0 and e["ts"] >= 0
        assert "pid" in e and "tid" in e

    path = tmp_path / "trace.json"
    returned = profiler.dump(path)
    assert returned == str(path)
    on_disk = json.loads(path.read_text())
    assert {e["name"] for e in _op_events(on_disk)} == names

    default = tmp_path / "sub"
    default.mkdir()
    returned = profiler.dump(str(default / "p.json"))
    assert json.loads(open(returned).read())["traceEvents"]


def test_profiler_stop_ends_recording_and_start_begins_afresh():
    profiler.start()
    np.exp(np.ones(4)).wait_to_read()
    profiler.stop()
    np.sqrt(np.ones(4)).wait_to_read()  # after stop: not recorded
    names = {e["name"] for e in _op_events(json.loads(profiler.dumps()))}
    assert "exp" in names and "sqrt" not in names

    profiler.start()
    np.negative(np.ones(4)).wait_to_read()
    profiler.stop()
    names = {e["name"] for e in _op_events(json.loads(profiler.dumps()))}
    assert "negative" in names and "exp" not in names


def test_profiler_with_threads():
    profiler.start()
    _run_threads(lambda i: np.abs(np.ones((8, 8)) * i).sum().item(), 3)
    profiler.stop()
    events = _op_events(json.loads(profiler.dumps()))
    assert sum(e["name"] == "abs" for e in events) == 3


# ---------------------------------------------------------------------------------------
# d2l and npx helpers
# ---------------------------------------------------------------------------------------


def test_d2l_benchmark_prints_name_and_seconds(capsys):
    with d2l.Benchmark("my work") as b:
        np.ones((50, 50)) @ np.ones((50, 50))
        npx.waitall()
        time.sleep(0.01)
    out = capsys.readouterr().out
    assert re.fullmatch(r"my work: \d+\.\d{4} sec\n", out), out
    assert b.elapsed >= 0.01
    with d2l.Benchmark():
        pass
    assert re.fullmatch(r"Done: \d+\.\d{4} sec\n", capsys.readouterr().out)


@pytest.mark.skipif(npx.num_gpus() > 0, reason="this machine has GPUs")
def test_d2l_devices_without_gpu():
    assert d2l.num_gpus() == 0
    assert d2l.try_gpu() == npx.cpu(0)
    assert repr(d2l.try_gpu()) == "cpu(0)"
    assert d2l.try_gpu(1) == npx.cpu()
    devices = d2l.try_all_gpus()
    assert devices == [npx.cpu(0), npx.cpu(0)]
    # The book's listings put data on devices[0] and devices[1]; both work here.
    a = np.ones((2, 2), ctx=devices[0])
    b = np.ones((2, 2), ctx=devices[1])
    assert (a + b).sum().item() == 8.0


def test_d2l_devices_with_gpus():
    n = npx.num_gpus()
    if n == 0:
        pytest.skip("no GPU (NDFLOW_SIMULATED_GPUS=2 gives two simulated ones)")
    assert d2l.num_gpus() == n
    assert d2l.try_gpu() == npx.gpu(0)
    assert d2l.try_gpu(n) == npx.cpu()
    assert d2l.try_all_gpus() == [npx.gpu(i) for i in range(n)]


def test_npx_helpers():
    assert npx.num_gpus() >= 0
    assert npx.set_np() is None
    assert npx.set_np(shape=True, array=True, dtype=False) is None
    assert npx.reset_np() is None
    assert npx.current_device() == npx.device(TEST_DEVICE or "cpu")  # conftest's, or cpu(0)
    assert npx.cpu_workers() >= 1
    npx.waitall()
    npx.waitall()  # idempotent with nothing in flight
