"""The one timing rule of the benchmarks: the median of repeated runs after a warm-up;
and the thread count every library in a comparison gets."""
import os
import statistics
import time

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def set_blas_threads(threads):
    """Give numpy's BLAS ``threads`` threads: call it before numpy is first imported."""
    for name in BLAS_THREAD_VARIABLES:
        os.environ[name] = str(threads)


def median_time(fn, repeats):
    """Median wall time of ``fn()`` over ``repeats`` runs, after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_times(fns, repeats):
    """Median wall time of each of ``fns`` over ``repeats`` rounds, one warm-up each, the
    functions taking turns within every round; and the median over rounds of each one's time
    divided by the first's. Taking turns exposes all of them to the same load on a shared
    machine, so the ratios move far less than times measured one after the other."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, runs in zip(fns, times):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
    ratios = [statistics.median(b / a for a, b in zip(times[0], runs)) for runs in times]
    return [statistics.median(runs) for runs in times], ratios
