"""Latency files of bench/compare_search.sh (qid<TAB>microseconds<TAB>
hits, qids starting T1/T2/T3): per-engine table rows and the ratios of
the search issue's target.

  python3 bench/latstats.py row NAME FILE
      one markdown row: p50, p99, mean, then p50 / p99 for T1, T2, T3
  python3 bench/latstats.py ratios lede=FILE PEER=FILE...
      the fastest peer's p50 and p99 over lede's, overall and by class
"""
import sys

CLASSES = ("", "T1", "T2", "T3")


def pct(v, q):
    """The q-th percentile by the nearest-rank method (0 when empty)."""
    v = sorted(v)
    if not v:
        return 0
    i = max(0, min(len(v) - 1, int(-(-q * len(v) // 100)) - 1))
    return v[i]


def load(path):
    rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
    return {c: [float(r[1]) for r in rows if r[0].startswith(c)]
            for c in CLASSES}


def row(name, path):
    v = load(path)
    out = ["%.0f" % pct(v[""], 50), "%.0f" % pct(v[""], 99),
           "%.0f" % (sum(v[""]) / max(1, len(v[""])))]
    for c in CLASSES[1:]:
        out.append("%.0f / %.0f" % (pct(v[c], 50), pct(v[c], 99)))
    print("| %s | %s |" % (name, " | ".join(out)))


def ratios(args):
    cols = {}
    for arg in args:
        name, path = arg.split("=", 1)
        v = load(path)
        cols[name] = {(c, q): pct(v[c], q) for c in CLASSES for q in (50, 99)}
    lede = cols.pop("lede")
    out = []
    for key in [(c, q) for c in CLASSES for q in (50, 99)]:
        best = min(c[key] for c in cols.values())
        out.append("%.1fx" % (best / lede[key]) if lede[key] else "-")
    print()
    print("fastest peer over lede (target: 3x or more everywhere)")
    print()
    print("| all p50 | all p99 | T1 p50 | T1 p99 | T2 p50 | T2 p99 | "
          "T3 p50 | T3 p99 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("| " + " | ".join(out) + " |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "row":
        row(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 4 and sys.argv[1] == "ratios":
        ratios(sys.argv[2:])
    else:
        sys.exit(__doc__)
