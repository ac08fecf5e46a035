"A run killed with SIGKILL at several points resumes to the same labels and history as an uninterrupted run"
import json, os, signal, subprocess, sys, time
import pandas as pd, pytest
from randfit_fai.run import run

SCRIPT = ("import sys; from randfit_fai.run import run; "
          "run('digits', corrupt=0.5, epochs=30, stop_at_fit=False, quiet=True, out=sys.argv[1], name='r', resume=True)")


def kill_after_rows(out, k):
    "Start the run, SIGKILL it once history.csv has at least `k` rows; return the CSV text it left"
    csv = out / 'r' / 'history.csv'
    p = subprocess.Popen([sys.executable, '-c', SCRIPT, str(out)])
    t0 = time.time()
    while p.poll() is None and time.time() - t0 < 120:
        if csv.exists() and len(csv.read_text().splitlines()) > k: break
        time.sleep(0.002)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    return csv.read_text()


def test_resume_after_sigkill(tmp_path):
    ref = run('digits', corrupt=0.5, epochs=30, stop_at_fit=False, quiet=True, out=tmp_path / 'ref', name='r')
    out = tmp_path / 'killed'
    before = [kill_after_rows(out, k) for k in (2, 9, 20)]
    assert not (out / 'r' / 'summary.json').exists(), 'the kills must land before the run finished'
    subprocess.run([sys.executable, '-c', SCRIPT, str(out)], check=True)
    final = (out / 'r' / 'history.csv').read_text()
    for text in before:
        assert final.startswith(text), 'rows written before a kill are kept byte for byte'
    s = json.loads((out / 'r' / 'summary.json').read_text())
    assert s['labels_sha1'] == ref.summary['labels_sha1'] and s['resumed_at_epoch'] >= 20
    h = pd.read_csv(out / 'r' / 'history.csv')
    cols = [c for c in h.columns if not c.endswith('_s')]  # all but the timings
    assert len(h) == 30 and (h[cols].values == ref.history[cols].values).all(), 'the resumed run trains exactly as the uninterrupted one'


class Plant:
    "A pickle that would write `marker` when unpickled by a loader that runs code"
    def __init__(self, marker): self.marker = str(marker)
    def __reduce__(self): return (open, (self.marker, 'w'))


def test_a_planted_checkpoint_is_refused_not_executed(tmp_path):
    import torch
    from randfit_fai.run import run
    folder = tmp_path / 'runs' / 'planted'; folder.mkdir(parents=True)
    torch.save({'epoch': 1, 'model': Plant(tmp_path / 'pwned')}, folder / 'checkpoint.pth')
    with pytest.raises(RuntimeError, match='checkpoint.pth is not a checkpoint randfit_fai can read safely'):
        run('digits', corrupt=1.0, epochs=2, name='planted', resume=True, out=tmp_path / 'runs', quiet=True)
    assert not (tmp_path / 'pwned').exists()


def test_a_planted_image_cache_is_rebuilt_not_executed(tmp_path):
    import torch
    from PIL import Image
    from randfit_fai.data import load_folder, synthetic, _image_files, _cache_file
    src = synthetic(n_train=40, n_test=10, n_classes=4, shape=(3, 8, 8))
    for split, xs, ys in (('train', src.x_train, src.y_train), ('test', src.x_test, src.y_test)):
        for i, (x, y) in enumerate(zip(xs, ys)):
            d = tmp_path / 'data' / split / src.classes[y]; d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(x.permute(1, 2, 0).numpy()).save(d / f'{i}.png')
    root = tmp_path / 'data'
    cache = _cache_file(root, _image_files(root), None)
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save({'x_train': Plant(tmp_path / 'pwned')}, cache)
    ds = load_folder(root)
    assert not (tmp_path / 'pwned').exists()
    as_set = lambda xs, ys: {(x.numpy().tobytes(), int(y)) for x, y in zip(xs, ys)}
    assert as_set(ds.x_train, ds.y_train) == as_set(src.x_train, src.y_train), 'decoded again from the images'


@pytest.mark.parametrize('stop_at_fit', [True, False])
def test_a_run_stopped_after_its_last_checkpoint_resumes_to_the_same_result(tmp_path, stop_at_fit):
    "Killed after training ended but before summary.json: resuming trains no further and returns the uninterrupted result"
    from fastai.vision.all import Callback
    class LostBeforeSummary(Callback):
        order = 100
        def after_fit(self): raise KeyboardInterrupt('lost before the summary')
    kw = dict(corrupt=1.0, epochs=6 if not stop_at_fit else 100, stop_at_fit=stop_at_fit, quiet=True, out=tmp_path)
    whole = run('digits', name='whole', **kw)
    with pytest.raises(KeyboardInterrupt): run('digits', name='cut', cbs=LostBeforeSummary(), **kw)
    assert (tmp_path / 'cut' / 'checkpoint.pth').exists() and not (tmp_path / 'cut' / 'summary.json').exists()
    resumed = run('digits', name='cut', resume=True, **kw)
    cols = [c for c in whole.history.columns if not c.endswith('_s')]
    assert resumed.history[cols].equals(whole.history[cols]) and resumed.summary['fit_epoch'] == whole.summary['fit_epoch']
    assert not list((tmp_path / 'cut').glob('*.tmp*'))


def test_resume_continues_only_the_same_configuration(tmp_path):
    from fastai.vision.all import Callback
    class Lost(Callback):
        order = 100
        def after_epoch(self):
            if self.epoch == 0: raise KeyboardInterrupt
    kw = dict(corrupt=1.0, epochs=3, stop_at_fit=False, quiet=True, out=tmp_path, name='r')
    with pytest.raises(KeyboardInterrupt): run('digits', cbs=Lost(), **kw)
    ckpt = (tmp_path / 'r' / 'checkpoint.pth').read_bytes()
    for other, named in ((dict(lr=0.05), 'lr'), (dict(epochs=4), 'epochs'), (dict(seed=1), 'seed'), (dict(arch='mlp-2x64'), 'arch'),
                         (dict(randomize='gaussian'), 'randomize'), (dict(wd=1e-4), 'wd'), (dict(subset=1000), 'subset')):
        with pytest.raises(ValueError, match=f'other settings.*{named} '): run('digits', resume=True, **{**kw, **other})
        assert (tmp_path / 'r' / 'checkpoint.pth').read_bytes() == ckpt and len(list(tmp_path.iterdir())) == 1
    done = run('digits', resume=True, **kw)
    assert done.summary['resumed_at_epoch'] == 1 and done.summary['config']['lr'] == done.summary['lr']
    assert run('digits', resume=True, **kw).history.equals(done.history), 'a finished run of the same configuration is read back'
    with pytest.raises(ValueError, match="lr 0.1 there, 0.05 asked"): run('digits', resume=True, **{**kw, 'lr': 0.05})


def test_one_writer_per_run_folder_and_no_stuck_lock(tmp_path):
    "A second process is refused a folder in use; a SIGKILLed writer leaves no lock behind"
    import pytest
    csv = tmp_path / 'r' / 'history.csv'
    p = subprocess.Popen([sys.executable, '-c', SCRIPT, str(tmp_path)])
    t0 = time.time()
    while not csv.exists() and time.time() - t0 < 120: time.sleep(0.01)
    with pytest.raises(RuntimeError, match='being written by another process'):
        run('digits', corrupt=0.5, epochs=30, stop_at_fit=False, quiet=True, out=tmp_path, name='r', resume=True)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    r = run('digits', corrupt=0.5, epochs=30, stop_at_fit=False, quiet=True, out=tmp_path, name='r', resume=True)
    assert len(r.history) == 30 and not (tmp_path / 'r' / '.lock').exists()
