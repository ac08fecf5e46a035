import os, signal, subprocess, sys, time
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


RUN_SCRIPT = ("import sys; from randfit_fai.training import run; run('digits', corrupt=0.5, epochs=int(sys.argv[2]), "
              "stop_at_fit=False, quiet=True, out=sys.argv[1], name='r', resume=True)")


def start_run(out, epochs:int):
    "The digits run `r` under `out` (resumed when its folder holds a checkpoint), in a process of its own"
    return subprocess.Popen([sys.executable, '-c', RUN_SCRIPT, str(out), str(epochs)])


def kill_when(p, ready, timeout=120, delay=0.):
    "SIGKILL process `p` `delay` seconds after `ready()` holds (or `timeout` passed); whether it was still running"
    t0 = time.time()
    while p.poll() is None and time.time() - t0 < timeout and not ready(): time.sleep(0.001)
    time.sleep(delay)
    running = p.poll() is None
    if running: os.kill(p.pid, signal.SIGKILL)
    p.wait()
    return running


def has_rows(csv, k):
    "A readiness test for `kill_when`: history file `csv` holds at least `k` rows"
    return lambda: csv.exists() and len(csv.read_text().splitlines()) > k


def image_folder(root, ds=None, nested=False, resize=None, ext='png'):
    "`ds` (default: 40 + 10 synthetic 8×8 images of 4 classes) as image files in fastai's layout under `root`"
    from PIL import Image
    from randfit_fai.data import synthetic
    ds = ds or synthetic(n_train=40, n_test=10, n_classes=4, shape=(3, 8, 8))
    for split, xs, ys in (('train', ds.x_train, ds.y_train), ('test', ds.x_test, ds.y_test)):
        for i, (x, y) in enumerate(zip(xs, ys)):
            d = Path(root) / split / (f'super{y % 2}' if nested else '') / ds.classes[y]
            d.mkdir(parents=True, exist_ok=True)
            im = Image.fromarray(x.permute(1, 2, 0).numpy())
            if resize and i % 7 == 0: im = im.resize(resize)  # a few of another size
            im.save(d / f'{i}.{ext}')
    return Path(root)


def as_written_by(folder, version, drop_results_version=False):
    "Make the finished run in `folder` look written by randfit_fai `version` (re-sealed, as that version would have)"
    import json
    from randfit_fai.files import summary_sha256
    s = json.loads((folder / 'summary.json').read_text())
    s['version'] = s['config']['version'] = version
    if drop_results_version: s['config'].pop('results_version')
    s['sha256'] = summary_sha256(s)
    (folder / 'summary.json').write_text(json.dumps(s, indent=2))


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
