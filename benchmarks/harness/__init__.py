"""The benchmark harness: what every benchmark suite shares.

- :mod:`.env`: threads, the environment record and the package-source digest;
- :mod:`.data`: data sets (UCI canonical splits, the mixed-type tabular sets, synthetic);
- :mod:`.methods`: the registry of methods (name -> ``factory(seed, n_rows, quick)``);
- :mod:`.scoring`: metrics and the mean / standard error over splits;
- :mod:`.results`: writing JSON + markdown, the staleness check, rendering quoted blocks;
- :mod:`.reference_ensemble`, :mod:`.baselines`, :mod:`.peers`: the peers' implementations.

Suites live in ``benchmarks/suites/``; ``benchmarks/run.py`` is the entry point.
"""
