import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, name: str, ratio: float | None, target: str, absolute: str) -> None:
        self.rows.append((name, "—" if ratio is None else f"{ratio:.2f}×", target, absolute))

    def print(self) -> None:
        headers = ("benchmark", "ratio", "target", "absolute values")
        widths = [max(len(r[i]) for r in [headers, *self.rows]) for i in range(4)]
        line = "  ".join("{:<" + str(w) + "}" for w in widths)
        print(line.format(*headers))
        print(line.format(*("-" * w for w in widths)))
        for row in self.rows:
            print(line.format(*row))
