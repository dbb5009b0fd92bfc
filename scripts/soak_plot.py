"""Plots a soak run's samples (scripts/soak.sh): resident memory and open descriptors per
process, one line each, against minutes. Usage: soak_plot.py SAMPLES.csv OUT.svg"""

import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402


def main(samples: str, out: str) -> None:
    series = defaultdict(lambda: ([], [], []))
    with open(samples, newline="") as f:
        for row in csv.DictReader(f):
            minutes, rss, fds = series[row["process"]]
            minutes.append(int(row["minute"]))
            rss.append(int(row["rss_kib"]) / 1024)
            fds.append(int(row["fds"]))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for name, (minutes, rss, fds) in sorted(series.items()):
        top.plot(minutes, rss, label=name)
        bottom.plot(minutes, fds, label=name)
    top.set_ylabel("resident memory (MiB)")
    bottom.set_ylabel("open file descriptors")
    bottom.set_xlabel("minutes since start")
    top.legend(loc="upper left", fontsize="small")
    top.grid(alpha=0.3)
    bottom.grid(alpha=0.3)
    fig.suptitle("Soak: the demo at 100 paying streams on the durable broker")
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
