"""The analysis notebooks in notebooks/ run from top to bottom with few runs, draw their
figures, and are stored without outputs."""

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["latency", "livelock", "multipaxos"]
TEST_RUNS = 10  # runs per scenario: enough for every cell to have something to show


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def kernel_manager(folder: Path) -> AsyncKernelManager:
    """A kernel named python3 that runs this very interpreter (the venv's), whatever
    kernelspecs the machine has elsewhere (~/.local/share/jupyter, /usr/share/jupyter)."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (paxossim tests)",
        "language": "python",
    }))
    specs = KernelSpecManager(kernel_dirs=[str(folder / "kernels")])
    return AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)


def test_every_notebook_is_tested():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs(name):
    nb = read(name)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{name}.ipynb: cell {i} has outputs"
            assert cell.execution_count is None, f"{name}.ipynb: cell {i} has an execution count"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_and_draws_figures(name, tmp_path):
    nb = read(name)
    # Last, a cell that tells which interpreter ran the notebook and how many runs it made.
    nb.cells.append(nbformat.v4.new_code_cell("import sys\nprint(sys.executable, RUNS)"))
    km = kernel_manager(tmp_path)
    client = NotebookClient(
        nb, km=km, kernel_name="python3", timeout=600,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    # Raises CellExecutionError, with the cell and its traceback, at the first failing cell.
    # cleanup_kc: shut the kernel down afterwards, although the client does not own `km`.
    client.execute(cleanup_kc=True, env={**os.environ, "PAXOSSIM_NOTEBOOK_RUNS": str(TEST_RUNS)})
    assert not km.has_kernel

    outputs = [(i, out) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
               for out in cell.outputs]
    errors = [f"cell {i}: {out.ename}: {out.evalue}" for i, out in outputs
              if out.output_type == "error"]
    assert errors == []
    images = [i for i, out in outputs if "image/png" in out.get("data", {})]
    assert images, f"{name}.ipynb drew no figure"
    last = nb.cells[-1].outputs
    assert [out.get("text", "").split() for out in last] == [[sys.executable, str(TEST_RUNS)]]
