"""The README's commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ci_command():
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    return next(line for line in lines if line.startswith("pip install"))


def test_readme_test_command_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    command = _ci_command()
    assert "pytest" in command
    assert f"```bash\n{command}\n```" in readme


def test_readme_quick_start_command_runs_the_package_main():
    readme = (ROOT / "README.md").read_text()
    assert "```bash\npip install torch==2.13.0 . && python -m sk_hypergan\n```" in readme
    assert (ROOT / "sk_hypergan" / "__main__.py").is_file()
