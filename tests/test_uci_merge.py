"""``benchmarks/uci.py --merge``: results of parallel or successive runs join
into one report, with the summaries recomputed over all their splits."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
uci = pytest.importorskip("uci")


def _run_file(tmp_path, name, datasets, methods, splits, offset=0.0):
    """A results file as ``uci.run`` writes it, with made-up scores."""
    entries = {}
    for dataset in datasets:
        entry = {"n_train": 10, "n_test": 2, "n_features": 3, "splits": list(splits), "methods": {}}
        for m, method in enumerate(methods):
            records = [
                {"split": s, "status": "ok", "nll": 1.0 + m + s + offset, "rmse": 2.0 + s,
                 "coverage_90": 0.9, "fit_seconds": 1.0 + m, "predict_seconds": 0.1}
                for s in splits
            ]
            entry["methods"][method] = uci.summarize(records)
        entries[dataset] = entry
    results = {
        "benchmark": "uci",
        "config": {"datasets": list(datasets), "n_splits": len(splits),
                   "first_split": splits[0], "methods": list(methods), "hypergan_params": {}},
        "environment": {"date_utc": "2026-01-01T00:00:00+00:00", "git_commit": "0" * 40,
                        "command": "python uci.py", "python": "3", "platform": "x",
                        "torch_threads": 1, "versions": {}},
        "published": uci.PUBLISHED,
        "datasets": entries,
    }
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(results))
    return path


def test_merge_joins_datasets_methods_and_splits(tmp_path):
    both = ["hypergan", "deep_ensemble"]
    a = _run_file(tmp_path, "a", ["boston"], both, [0, 1])
    b = _run_file(tmp_path, "b", ["boston"], both, [2, 3])  # later splits
    c = _run_file(tmp_path, "c", ["boston"], ["gp"], [0, 1, 2, 3])  # other method
    d = _run_file(tmp_path, "d", ["wine"], both, [0, 1])  # other dataset
    merged = uci.merge([a, b, c, d])
    boston = merged["datasets"]["boston"]
    assert boston["splits"] == [0, 1, 2, 3]
    assert list(boston["methods"]) == ["hypergan", "deep_ensemble", "gp"]
    hypergan = boston["methods"]["hypergan"]
    assert [r["split"] for r in hypergan["splits"]] == [0, 1, 2, 3]
    assert hypergan["nll"]["mean"] == pytest.approx(np.mean([1, 2, 3, 4]))
    assert hypergan["nll"]["se"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)
    assert list(merged["datasets"]) == ["boston", "wine"]
    assert merged["goals"]["n_datasets"] == 2
    # The report says which run produced what.
    report = uci.to_markdown(merged)
    assert "hypergan, deep_ensemble on boston, splits 2-3" in report


def test_merge_refuses_results_that_overlap(tmp_path):
    a = _run_file(tmp_path, "a", ["boston"], ["hypergan"], [0, 1])
    again = _run_file(tmp_path, "b", ["boston"], ["hypergan"], [1, 2], offset=1.0)
    with pytest.raises(ValueError, match="more than one file"):
        uci.merge([a, again])
    other_splits = _run_file(tmp_path, "c", ["boston"], ["gp"], [0, 1, 2])
    with pytest.raises(ValueError, match="different splits"):
        uci.merge([a, other_splits])
