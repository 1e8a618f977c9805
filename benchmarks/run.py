"""The one entry point of the benchmarks.

    python benchmarks/run.py NAME [NAME ...] [--quick] [--out DIR] [--splits ...]
    python benchmarks/run.py all --quick       # every suite, smoke-test budget
    python benchmarks/run.py --list            # the suites
    python benchmarks/run.py --check           # stale results (exit 1 if a quoted one is)
    python benchmarks/run.py --render          # regenerate the blocks README / docs quote
    python benchmarks/run.py uci --merge a b   # uci_a.json + uci_b.json -> uci.json
    python benchmarks/run.py uci --replace h   # uci_h.json's methods into uci.json

A long suite can run in parts, one process per core: ``uci --datasets boston wine --tag
a`` and ``uci --datasets naval --tag b``; ``--merge a b`` then joins the parts' data sets
into one result (all parts must come from the same package source) and removes the parts.

After a change to the package only, ``uci --methods hypergan --tag h`` re-runs HyperGAN
alone and ``uci --replace h`` puts its rows into ``uci.json`` in place of the old ones,
keeping the peers' rows. It refuses unless what the peers' rows depend on is unchanged
since the run that wrote them: the benchmark harness (where every method is fitted and
scored) and the bundled data (``benchmarks_digest``, recorded by every run; for a file
older than that record, ``git diff`` against the commit it records), the kept methods'
specs, the suite's configuration and every library version. The result says which rows
were kept and from which run.

Each run writes ``<out>/<name>[_quick].json`` (every number, the configuration and the
environment: versions, git commit, dirty flag, thread count and the digest of the
``sk_hypergan`` source it imported) and ``<name>[_quick].md``. The ``sk_hypergan`` of this
checkout is imported (the repository root goes first on ``sys.path``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]

from harness import env, results  # noqa: E402

SUITES = (
    "uci", "fit_cost", "scale", "sklearn_datasets", "toy1d", "ood_digits", "ood_partitions",
    "calibration",
    "default_credit", "ablations", "speed_train", "speed_predict", "scaling", "threads",
    "sparse",
)


BENCHMARKS_DIR = HERE
#: What the peers' rows depend on besides the libraries and their specs: the harness
#: (data loading, the peers' implementations, fitting and scoring) and the bundled data.
PEER_SOURCES = ("harness", "data")


def benchmarks_digest(root=BENCHMARKS_DIR):
    """SHA-1 over what the peers' rows are computed by: ``benchmarks/harness`` (data
    loading, the peers' implementations, fitting and scoring) and ``benchmarks/data``,
    every file. Equal digests, method specs and library versions mean a peer's rows
    would come out the same, so a re-run of HyperGAN alone may keep them (``--replace``)."""
    root = Path(root)
    paths = [p for d in PEER_SOURCES for p in (root / d).rglob("*") if p.is_file()]
    return env.files_digest(root, paths)


def suite(name):
    """The module ``suites.<name>``."""
    if name not in SUITES:
        raise SystemExit(f"Unknown benchmark {name!r}; choose from {', '.join(SUITES)}.")
    return importlib.import_module(f"suites.{name}")


def _splits(text):
    """``3`` or ``0-4`` -> the split indices."""
    first, _, last = text.partition("-")
    return list(range(int(first), int(last) + 1)) if last else [int(first)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("names", nargs="*", help=f"'all' or some of: {' '.join(SUITES)}")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tiny data, a few epochs; writes <name>_quick.*")
    parser.add_argument("--out", type=Path, default=results.RESULTS_DIR, help="output folder")
    parser.add_argument("--splits", nargs="+", type=_splits, default=None,
                        help="split indices or ranges, e.g. 0-4 7 (suite default if omitted)")
    parser.add_argument("--datasets", nargs="+", default=None, help="data sets (suite default)")
    parser.add_argument("--methods", nargs="+", default=None, help="methods (suite default)")
    parser.add_argument("--params", type=json.loads, default=None,
                        help="JSON overrides of HyperGAN's parameters (where a suite takes them)")
    parser.add_argument("--seed", type=int, default=0, help="base random seed")
    parser.add_argument("--device", default="cpu",
                        help="torch device of the timing suites; not the CPU: <name>_<type>.*")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    parser.add_argument("--tag", default=None, help="write <name>_<tag>.* instead of <name>.*")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--list", action="store_true", help="list the suites")
    group.add_argument("--check", action="store_true",
                       help="list stale results; exit 1 if README / docs quote one")
    group.add_argument("--render", action="store_true",
                       help="rewrite the marked result blocks of README.md and docs/")
    group.add_argument("--merge", nargs="+", metavar="TAG", default=None,
                       help="join the data sets of <name>_<TAG>.json parts into <name>.json")
    group.add_argument("--replace", metavar="TAG", default=None,
                       help="put the methods run in <name>_<TAG>.json into <name>.json, "
                            "keeping the other methods' rows (their code must be unchanged)")
    args = parser.parse_args(argv)
    if args.splits is not None:
        args.splits = sorted({s for group_ in args.splits for s in group_})
    return args


def environment_lines(environment):
    """Markdown lines describing where a result came from."""
    e = environment
    return [
        "## Environment", "",
        f"- command: `{e['command']}`",
        f"- date (UTC): {e['date_utc']}; git: {e['git_commit']}"
        + (" (package source modified)" if e.get("package_dirty") else ""),
        f"- sk_hypergan source SHA-1: `{e['sk_hypergan_source_sha1']}`",
        f"- Python {e['python']} on {e['platform']}; torch threads: {e['torch_threads']}"
        + (f"; GPU: {e['cuda_device']}" if e.get("cuda_device") else ""),
        "- " + ", ".join(f"{k} {v}" for k, v in e["versions"].items() if v),
        *_reused_lines(e.get("reused")), "",
    ]


def _reused_lines(reused):
    if not reused:
        return []
    source = reused["from"]
    return [
        f"- rows of {', '.join(f'`{m}`' for m in reused['methods'])} kept from the run of "
        f"{source['date_utc']} (git {source['git_commit']}, command `{source['command']}`): "
        "the harness, data, specs and library versions they depend on are unchanged "
        f"({reused['unchanged_because']}); every other row is from this run"
    ]


def _write(name, out, out_dir, stem, consumed=()):
    """Write ``out`` and its report as ``<stem>.json`` / ``.md``; remove the part files
    ``<name>_<tag>.*`` of ``consumed`` tags, now joined into it. Return both paths."""
    markdown = suite(name).to_markdown(out) + "\n" + "\n".join(
        environment_lines(out["environment"]))
    paths = results.write(out, markdown, out_dir, stem)
    for tag in consumed:
        for ext in ("json", "md"):
            (Path(out_dir) / f"{name}_{tag}.{ext}").unlink()
    return paths


def run_suite(name, args, argv=None):
    """Run one suite and write its results; return the results dict."""
    module = suite(name)
    environment = env.environment(argv)  # the code at the start of the run
    environment["benchmarks_source_sha1"] = benchmarks_digest()
    env.log(f"[{name}] running{' (quick)' if args.quick else ''}")
    start = time.perf_counter()
    out = module.run(args)
    out["total_seconds"] = time.perf_counter() - start
    out["environment"] = environment
    paths = _write(name, out, args.out, results.stem(name, args.quick, args.device, args.tag))
    env.log(f"[{name}] wrote {paths[0]} and {paths[1]} in {out['total_seconds']:.0f} s")
    return out


def merge(name, tags, out_dir):
    """Join the per-data-set results of the parts ``<name>_<tag>.json`` into ``<name>.json``."""
    parts = [results.load(f"{name}_{tag}", out_dir) for tag in tags]
    digests = {p["environment"]["sk_hypergan_source_sha1"] for p in parts}
    if len(digests) != 1:
        raise SystemExit(f"the parts come from different package sources: {sorted(digests)}")
    if not all(isinstance(p.get("datasets"), dict) for p in parts):
        raise SystemExit(f"{name} results have no per-data-set entries to merge")
    out = dict(parts[0])
    out["datasets"] = {k: v for p in parts for k, v in p["datasets"].items()}
    if "config" in out and "datasets" in out["config"]:
        out["config"] = {**out["config"], "datasets": list(out["datasets"])}
    out["total_seconds"] = sum(p.get("total_seconds", 0.0) for p in parts)
    out["environment"] = {**parts[0]["environment"],
                          "command": " + ".join(p["environment"]["command"] for p in parts)}
    paths = _write(name, out, out_dir, results.stem(name), consumed=tags)
    env.log(f"[{name}] merged {', '.join(tags)} into {paths[0]}")
    return 0


def _peers_unchanged(base, kept):
    """Why the rows of ``kept`` in ``base`` may be kept (raises SystemExit if they may not):
    the harness and data are unchanged since their run, and so are their specs."""
    from harness import methods as registry

    changed = [m for m in kept if base["methods"].get(m) != registry.REGISTRY[m].spec]
    if changed:
        raise SystemExit(f"the spec of {changed} changed; re-run every method")
    recorded = base["environment"].get("benchmarks_source_sha1")
    if recorded is not None:
        if recorded != benchmarks_digest():
            raise SystemExit("the harness or data changed since the kept rows' run; "
                             "re-run every method")
        return f"benchmarks digest `{recorded[:12]}`"
    commit = base["environment"]["git_commit"]
    paths = [f"benchmarks/{d}" for d in PEER_SOURCES]
    diff = None if commit is None else env._git("diff", "--stat", commit, "--", *paths)
    if diff is None or diff:
        raise SystemExit(f"{paths} differ from commit {commit} (or git or the commit is "
                         "missing); re-run every method")
    return f"`git diff {commit[:12]}` of {' and '.join(paths)} is empty"


def replace(name, tag, out_dir):
    """Put the methods of ``<name>_<tag>.json`` into ``<name>.json`` in place of their old
    rows, keeping the other methods' rows (and saying so); remove the part."""
    base, part = results.load(name, out_dir), results.load(f"{name}_{tag}", out_dir)
    if base is None or part is None:
        raise SystemExit(f"--replace needs {name}.json and {name}_{tag}.json")
    new, config = part["config"]["methods"], base["config"]

    def same(key):
        a, b = config.get(key), part["config"].get(key)
        return sorted(a) == sorted(b) if key == "datasets" else a == b

    for key in set(config) | set(part["config"]):
        if key not in ("methods", "hypergan_params") and not same(key):
            raise SystemExit(f"{name}: the runs differ in {key!r}; re-run every method")
    if base["environment"]["versions"] != part["environment"]["versions"]:
        raise SystemExit(f"{name}: library versions differ; re-run every method")
    if part["environment"].get("benchmarks_source_sha1") != benchmarks_digest():
        raise SystemExit(f"{name}_{tag}: the harness or data changed since its run")
    order = list(config["methods"]) + [m for m in new if m not in config["methods"]]
    kept = [m for m in order if m not in new]
    # A kept row is from the base's own run, or from the one an earlier replacement kept
    # it from; one provenance can only describe rows of one run.
    previous = base["environment"].get("reused") or {"methods": []}
    earlier = [m for m in kept if m in previous["methods"]]
    if earlier and len(earlier) < len(kept):
        raise SystemExit(f"{name}: the kept rows come from two runs ({', '.join(earlier)} "
                         "from an earlier one); re-run every method")
    source = previous["from"] if earlier else {
        k: base["environment"][k] for k in ("date_utc", "git_commit", "command")}
    reused = {"methods": kept, "from": source,
              "unchanged_because": _peers_unchanged(base, kept)}
    out = dict(part)
    # HyperGAN's parameters are those of the new rows; the rest must match (checked above).
    out["config"] = {**part["config"], "datasets": list(base["datasets"]), "methods": order}
    out["methods"] = {m: (part if m in new else base)["methods"][m] for m in order}
    out["datasets"] = {}
    for ds, entry in base["datasets"].items():
        fresh = part["datasets"][ds]
        out["datasets"][ds] = {**entry, **{k: v for k, v in fresh.items() if k != "methods"},
                               "methods": {m: (fresh if m in new else entry)["methods"][m]
                                           for m in order}}
    out["environment"] = {**part["environment"], "reused": reused}
    paths = _write(name, out, out_dir, results.stem(name), consumed=[tag])
    env.log(f"[{name}] {', '.join(new)} from {tag} replaced in {paths[0]}; kept {', '.join(kept)}")
    return 0


def check():
    """Print stale result files; 1 when README.md / docs quote one of them, else 0."""
    stale = results.stale_results()
    quoted = results.quoted_stems()
    current = env.source_digest()
    print(f"working tree's sk_hypergan source SHA-1: {current}")
    for stem, digest in stale.items():
        mark = "QUOTED " if stem in quoted else "       "
        print(f"{mark}stale: benchmarks/results/{stem}.json (recorded {digest})")
    bad = sorted(set(stale) & quoted)
    missing = sorted(s for s in quoted if not (results.RESULTS_DIR / f"{s}.json").exists())
    for stem in missing:
        print(f"QUOTED missing: benchmarks/results/{stem}.json")
    print(f"{len(stale)} stale, {len(bad)} of them quoted; {len(missing)} quoted missing")
    return 1 if bad or missing else 0


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for name in SUITES:
            print(f"{name:>17}: {suite(name).__doc__.splitlines()[0]}")
        return 0
    if args.check:
        return check()
    if args.render:
        changed = results.render_documents({n: suite(n) for n in SUITES})
        print("\n".join(f"rewrote {p}" for p in changed) or "nothing to rewrite")
        return 0
    names = list(SUITES) if args.names == ["all"] else args.names
    if args.merge:
        if len(names) != 1:
            raise SystemExit("--merge takes one suite name")
        return merge(names[0], args.merge, args.out)
    if args.replace:
        if len(names) != 1:
            raise SystemExit("--replace takes one suite name")
        return replace(names[0], args.replace, args.out)
    if not names:
        raise SystemExit("name a benchmark (or 'all'); --list shows them")
    env.set_threads(args.threads)
    for name in names:
        run_suite(name, args, argv if argv is None else ["benchmarks/run.py", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
