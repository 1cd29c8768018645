"""The one timing rule of the benchmarks: the median of repeated runs after a warm-up."""
import statistics
import time


def median_time(fn, repeats):
    """Median wall time of ``fn()`` over ``repeats`` runs, after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
