"""Every benchmark suite runs end to end with ``--quick`` (tiny data, a few epochs), so none
can break unnoticed; the harness's pieces do what they say."""

import doctest
import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

run = pytest.importorskip("run")
from harness import env, results, scoring  # noqa: E402


@pytest.mark.parametrize("name", run.SUITES)
def test_suite_runs_quick(name, tmp_path):
    args = run.parse_args([name, "--quick", "--out", str(tmp_path)])
    out = run.run_suite(name, args)
    data = json.loads((tmp_path / f"{name}_quick.json").read_text())
    md = (tmp_path / f"{name}_quick.md").read_text()
    assert data["environment"]["sk_hypergan_source_sha1"] == out["environment"][
        "sk_hypergan_source_sha1"]
    assert len(data["environment"]["sk_hypergan_source_sha1"]) == 40
    assert data["environment"]["torch_threads"] >= 1
    assert "## Environment" in md
    module = run.suite(name)
    if hasattr(module, "blocks"):  # what README / docs quote renders from the JSON
        rendered = module.blocks(data, "md")
        assert rendered and all(isinstance(v, str) and v for v in rendered.values())
        assert all(isinstance(v, str) for v in module.blocks(data, "rst").values())


def test_uci_quick_scores_every_method(tmp_path):
    args = run.parse_args(["uci", "--quick", "--out", str(tmp_path), "--datasets", "boston"])
    out = run.suite("uci").run(args)
    methods = out["datasets"]["boston"]["methods"]
    assert set(methods) == set(run.suite("uci").METHODS)
    for name, summary in methods.items():
        assert summary["status"] == "ok", (name, summary)
        assert np.isfinite(summary["nll"]["mean"]) and summary["rmse"]["mean"] > 0
        assert 0 <= summary["coverage_90"]["mean"] <= 1


def test_uci_runs_in_parts_and_merges(tmp_path):
    common = ["uci", "--quick", "--out", str(tmp_path), "--methods", "hypergan"]
    for tag, name in (("a", "boston"), ("b", "naval")):
        args = run.parse_args([*common, "--datasets", name, "--tag", tag])
        run.run_suite("uci", args)
    assert run.main(["uci", "--merge", "a", "b", "--out", str(tmp_path)]) == 0
    merged = json.loads((tmp_path / "uci.json").read_text())
    assert list(merged["datasets"]) == ["boston", "naval"]
    assert merged["config"]["datasets"] == ["boston", "naval"]
    assert not list(tmp_path.glob("uci_a.*")) and not list(tmp_path.glob("uci_b.*"))
    record = merged["datasets"]["naval"]["methods"]["hypergan"]
    # HyperGAN is also scored on its mixture; its coverages are its own intervals'
    for metric in ("nll_mixture", "crps_mixture", "coverage_50", "coverage_95"):
        assert np.isfinite(record[metric]["mean"]), metric
    assert "Central-interval coverage" in (tmp_path / "uci.md").read_text()


def test_uci_replace_keeps_peers_rows_and_refuses_a_changed_harness(tmp_path, monkeypatch):
    common = ["uci", "--quick", "--out", str(tmp_path), "--datasets", "boston"]
    base_args = run.parse_args([*common, "--methods", "hypergan", "reference_ensemble",
                                "mc_dropout", "--tag", "base"])
    base = run.run_suite("uci", base_args)
    for ext in ("json", "md"):
        (tmp_path / f"uci_base.{ext}").rename(tmp_path / f"uci.{ext}")

    def new_rows():
        args = run.parse_args([*common, "--methods", "hypergan", "--tag", "h",
                               "--params", '{"max_epochs": 2}'])
        return run.run_suite("uci", args)

    new_rows()
    monkeypatch.setattr(run, "benchmarks_digest", lambda root=None: "changed")
    with pytest.raises(SystemExit, match="harness or data changed"):
        run.main(["uci", "--replace", "h", "--out", str(tmp_path)])
    monkeypatch.undo()

    part = new_rows()
    assert run.main(["uci", "--replace", "h", "--out", str(tmp_path)]) == 0
    out = json.loads((tmp_path / "uci.json").read_text())
    methods = out["datasets"]["boston"]["methods"]
    assert methods["hypergan"] == part["datasets"]["boston"]["methods"]["hypergan"]
    assert methods["hypergan"] != base["datasets"]["boston"]["methods"]["hypergan"]
    peer = base["datasets"]["boston"]["methods"]["reference_ensemble"]
    assert methods["reference_ensemble"] == peer
    assert out["config"]["hypergan_params"] == {"max_epochs": 2}
    reused = out["environment"]["reused"]
    assert reused["methods"] == ["reference_ensemble", "mc_dropout"]
    assert reused["from"]["date_utc"] == base["environment"]["date_utc"]
    assert "kept from the run of" in (tmp_path / "uci.md").read_text()
    assert not list(tmp_path.glob("uci_h.*"))

    # Now HyperGAN's rows are this run's, the peers' an earlier one's: replacing MC
    # dropout would keep rows of two runs, which one provenance cannot describe.
    args = run.parse_args([*common, "--methods", "mc_dropout", "--tag", "r"])
    run.run_suite("uci", args)
    with pytest.raises(SystemExit, match="two runs"):
        run.main(["uci", "--replace", "r", "--out", str(tmp_path)])


def test_mixture_scores_match_a_gaussian_for_one_component():
    from sk_hypergan import GaussianMixtureDistribution

    rng = np.random.default_rng(0)
    y, mean, std = rng.normal(size=50), rng.normal(size=50), rng.uniform(0.5, 2, size=50)
    dist = GaussianMixtureDistribution(mean[None], std[None] ** 2, squeeze=True)
    mix, gauss = scoring.mixture_scores(y, dist), scoring.gaussian_scores(y, mean, std)
    assert mix["nll_mixture"] == pytest.approx(gauss["nll"])
    assert mix["crps_mixture"] == pytest.approx(gauss["crps"], rel=1e-6)
    for q in scoring.COVERAGE_LEVELS:
        key = scoring.coverage_key(q)
        assert mix[key] == pytest.approx(gauss[key])


def test_fit_cost_quick_measures_both(tmp_path):
    args = run.parse_args(["fit_cost", "--quick", "--out", str(tmp_path)])
    out = run.suite("fit_cost").run(args)
    row = out["datasets"]["quickstart"]
    assert row["fit_ratio"] > 0 and row["hypergan"]["epochs"]["mean"] >= 1
    # Steps are the batches of all epochs; the floor prices them at the bare step.
    fit = row["splits"][0]["hypergan"]
    assert fit["steps"] >= fit["epochs"] and fit["batch_size"] >= 1
    floor = row["floor"]
    assert floor["batch_size"] == fit["batch_size"] and floor["bare_ms"] > 0
    expected = fit["steps"] * floor["bare_ms"] / 1e3
    ensemble_s = row["reference_ensemble"]["fit_seconds"]["mean"]
    assert floor["ratio"] == pytest.approx(expected / ensemble_s)
    # The ensemble's steps: whole epochs of ceil(200 / 32) batches (quick data: 200 rows).
    ensemble_steps = row["splits"][0]["reference_ensemble"]["steps"]
    assert ensemble_steps > 0 and ensemble_steps % 7 == 0
    steps = out["step_cost"]["rows"]
    assert [s["batch_size"] for s in steps] == [32, 200]  # quick data: 200 rows
    assert all(s["hypergan_ms"] > 0 and s["bare_ms"] > 0 for s in steps)


def test_splits_option_parses_ranges():
    args = run.parse_args(["uci", "--splits", "0-2", "5"])
    assert args.splits == [0, 1, 2, 5]


def test_check_flags_quoted_stale_results(tmp_path, monkeypatch):
    res_dir, root = tmp_path / "results", tmp_path / "repo"
    res_dir.mkdir()
    (root / "docs").mkdir(parents=True)
    current = env.source_digest()
    for stem, digest in [("fresh", current), ("old", "0" * 40), ("unquoted", None)]:
        (res_dir / f"{stem}.json").write_text(
            json.dumps({"environment": {"sk_hypergan_source_sha1": digest}}))
    (root / "README.md").write_text("see `benchmarks/results/old.md` and fresh\n"
                                    "<!-- results:fresh.table -->\nx\n<!-- /results -->\n")
    stale = results.stale_results(res_dir)
    assert set(stale) == {"old", "unquoted"}
    assert results.quoted_stems(root, res_dir) == {"old", "fresh"}


class _Suite:
    @staticmethod
    def blocks(res, style):
        return {"table": results.table(["a"], [[res["value"]]], style), "n": f"{res['value']}\n"}


def test_render_rewrites_marked_blocks(tmp_path):
    (tmp_path / "demo.json").write_text(json.dumps({"value": 7}))
    md = "before\n<!-- results:demo.n -->\nstale\n<!-- /results -->\nafter\n"
    rst = "before\n\n.. results:demo.table\n\nstale\n\n.. /results\n"
    suites = {"demo": _Suite}
    assert results.render_text(md, "md", suites, tmp_path) == (
        "before\n<!-- results:demo.n -->\n7\n<!-- /results -->\nafter\n")
    out = results.render_text(rst, "rst", suites, tmp_path)
    assert ".. list-table::" in out and "   * - 7" in out and out.endswith(".. /results\n")
    assert results.render_text(out, "rst", suites, tmp_path) == out  # idempotent
    missing = results.render_text(md.replace("demo", "none"), "md", suites, tmp_path)
    assert "no results yet" in missing


def test_gaussian_scores_and_mean_se():
    s = scoring.gaussian_scores([0.0, 0.0], [0.0, 0.0], [1.0, 1.0])
    assert s["nll"] == pytest.approx(0.5 * np.log(2 * np.pi))
    assert s["crps"] == pytest.approx((np.sqrt(2) - 1) / np.sqrt(np.pi))
    assert s["coverage_90"] == 1.0 and s["rmse"] == 0.0
    assert scoring.mean_se([1.0, 2.0, 3.0]) == {"mean": 2.0, "se": pytest.approx(1 / np.sqrt(3))}
    assert scoring.brier([0, 1], np.array([[1.0, 0.0], [0.5, 0.5]]), [0, 1]) == 0.125


def test_goals_carry_the_paired_difference_and_its_standard_error():
    from scipy.stats import sem

    from suites._goals import check_calibration_goals, goal_table, paired_se

    own = [{"log_loss": a, "ece": 0.02, "accuracy": 0.97} for a in (0.10, 0.12, 0.11)]
    ens = [{"log_loss": a, "ece": 0.03, "accuracy": 0.99} for a in (0.11, 0.11, 0.13)]
    single = [{"log_loss": 0.2, "ece": 0.01, "accuracy": 0.95}] * 3
    goals = check_calibration_goals(own, {"single": single, "deep_ensemble": ens})
    loss = goals["log_loss_le_ensemble"]
    assert loss["hypergan"] == pytest.approx(0.11) and loss["reference"] == pytest.approx(0.35 / 3)
    assert loss["holds"]
    assert loss["difference_se"] == pytest.approx(sem([-0.01, 0.01, -0.02]))
    assert not goals["ece_le_single"]["holds"] and goals["log_loss_le_single"]["holds"]
    # 0.97 is 2 points below the ensemble's 0.99: the accuracy goal fails.
    assert not goals["accuracy_within_1_point"]["holds"]
    table = goal_table(goals)
    row = next(line for line in table if "log loss no worse than the deep ensemble" in line)
    assert "± SE (paired)" in table[0] and "| -0.0067 ± " in row
    assert np.isnan(paired_se(own[:1], ens[:1], "ece"))
    one = check_calibration_goals(own[:1], {"single": single[:1], "deep_ensemble": ens[:1]})
    assert goal_table(one)[-1].endswith("| -0.0200 ± - |")  # accuracy; no SE from one fold
    with pytest.raises(ValueError, match="3 records against 2: not paired"):
        paired_se(own, ens[:2], "ece")


@pytest.mark.parametrize(
    "module", ["harness.scoring", "harness.data", "harness.methods", "harness.peers",
               "harness.reference_ensemble", "harness.step_cost", "harness.baselines",
               "suites._goals"])
def test_benchmark_doctests(module):
    result = doctest.testmod(importlib.import_module(module))
    assert result.failed == 0 and result.attempted > 0


def test_tabular_loaders():
    from harness import data

    X, y = data.load_cps1988_xy()
    assert X.shape[0] == len(y) == 28155 and np.isfinite(X).all()
    assert y.min() > 0 and y.max() < 12  # log weekly wage
    X, y = data.load_default_xy()
    assert X.shape == (10000, 4) and y.sum() == 333
    X_tr, y_tr, X_te, y_te = data.load("cps1988")
    assert len(X_te) == 2816 and len(X_tr) + len(X_te) == 28155


def test_selection_scripts_refuse_the_reported_splits():
    # Defaults are chosen on data no report uses (benchmarks/README.md, "Protocol for
    # choosing defaults"): the selection scripts' arguments refuse reported splits.
    import argparse

    sys.path.insert(0, str(BENCHMARKS / "selection"))
    common = importlib.import_module("_common")
    mixup_weight = importlib.import_module("mixup_weight")
    regularizer = importlib.import_module("classifier_regularizer")
    assert common.uci_splits("10-12") == [10, 11, 12]
    assert common.cv_seed("100") == 100
    assert mixup_weight.partitions("10-11") == [10, 11]
    for parse, text in [(common.uci_splits, "9-12"), (common.cv_seed, "99"),
                        (mixup_weight.partitions, "4-12")]:
        with pytest.raises(argparse.ArgumentTypeError, match="reserved|reported"):
            parse(text)
    with pytest.raises(SystemExit):
        regularizer.main(["--partitions", "0-4"])
