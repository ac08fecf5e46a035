import subprocess, sys
from pathlib import Path
import pytest, torch

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / 'shared'


class Disconnect(Exception): "Stand-in for a lost connection"


@pytest.fixture
def disconnect_after():
    "A callback class that raises `Disconnect` at the end of epoch `n`, and the exception class"
    from fastai.vision.all import Callback
    class DisconnectAfter(Callback):
        order = 100
        def __init__(self, n): self.n = n
        def after_epoch(self):
            if self.epoch + 1 == self.n: raise Disconnect('connection lost')
    return DisconnectAfter, Disconnect


def pytest_collection_modifyitems(config, items):
    "Skip `slow` tests unless `-m` selects them, and `cuda` tests where there is no GPU, with a visible reason"
    markexpr = config.getoption('-m') or ''
    for item in items:
        if 'slow' in item.keywords and 'slow' not in markexpr:
            item.add_marker(pytest.mark.skip(reason='slow: run with `pytest -m slow`'))
        if 'cuda' in item.keywords and not torch.cuda.is_available():
            item.add_marker(pytest.mark.skip(reason='cuda: needs a CUDA GPU'))


def materialize(tmp_path_factory, *args):
    "A folder where ../shared's tool wrote real data sets in fastai's layouts (`args` passed to it); skips without ../shared"
    tool = SHARED / 'tools' / 'materialize.py'
    if not tool.exists(): pytest.skip('../shared (real datasets) is not on this machine')
    dest = tmp_path_factory.mktemp('real')
    subprocess.run([sys.executable, str(tool), str(dest), *args], check=True, capture_output=True)
    return dest


@pytest.fixture(scope='session')
def cifar10_subset(tmp_path_factory):
    "Real CIFAR-10 (100 train / 20 test images per class) in fastai's layout, from ../shared"
    return materialize(tmp_path_factory, '--only', 'cifar10', '--per-class', '100') / 'cifar10'


@pytest.fixture(scope='session')
def real_root(tmp_path_factory):
    "Full real CIFAR-10, CIFAR-100 and MNIST in fastai's layouts (`cifar10/`, `cifar100/`, `mnist_png/`), from ../shared"
    return materialize(tmp_path_factory)
