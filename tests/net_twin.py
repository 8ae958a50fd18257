"""The PyTorch twin of a net file, as convlab itself writes it: runs
`convlab --batch export-pytorch --net FILE` and executes the module it prints,
so every user of a twin (the parity fixtures, the export fixtures, the accuracy
benchmark) also exercises the export. Build ./convlab first (make).
"""
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONVLAB = os.path.join(ROOT, "convlab")
NETS_DIR = os.path.join(ROOT, "assets", "nets")
# The shipped nets, in the order the fixtures and the benchmark report them.
SHIPPED = ("cnnnet", "pytorch_tutorial", "lenet5", "small_vgg", "dropout")
# Nets only the tests use (tests/nets/NAME.net): the layer kinds and arguments the shipped ones leave out.
TEST_NETS = ("every_kind",)


def net_path(name):
    """assets/nets/NAME.net (tests/nets/NAME.net for TEST_NETS), relative to the repository root
    (as the C tests name it)."""
    return os.path.join("tests", "nets", name + ".net") if name in TEST_NETS else os.path.join("assets", "nets", name + ".net")


def export_source(name):
    """The Python text `convlab --batch export-pytorch` prints for net_path(NAME)."""
    if not os.access(CONVLAB, os.X_OK):
        raise SystemExit(f"{CONVLAB} not found: run make first")
    out = subprocess.run([CONVLAB, "--batch", "export-pytorch", "--net", net_path(name)], cwd=ROOT,
                         check=True, capture_output=True, text=True)
    return out.stdout


def twin_class(name):
    """The exported module's Net class for net_path(NAME)."""
    namespace = {"__name__": "convlab_export_" + name}
    exec(compile(export_source(name), net_path(name) + " (exported)", "exec"), namespace)
    return namespace["Net"]
