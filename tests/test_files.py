"A run's files: new folders, one writer per folder, resume only of the same configuration"
import json, time
import randfit_fai
import pandas as pd, pytest
from randfit_fai.files import load_run
from randfit_fai.training import run
from conftest import start_run, kill_when


def test_run_folder_not_overwritten(tmp_path):
    a = run('digits', epochs=1, out=tmp_path, quiet=True)
    b = run('digits', epochs=1, out=tmp_path, quiet=True)
    c = run('digits', epochs=1, out=tmp_path, quiet=True, overwrite=True)
    assert a.path != b.path and c.path == a.path
    s = json.loads((a.path / 'summary.json').read_text())
    for k in ('fit_epoch', 'fit_time_s', 'final_train_acc', 'final_test_acc', 'corrupt', 'corrupt_frac_realized', 'n_train', 'n_test',
              'n_classes', 'arch', 'n_params', 'device', 'seed', 'version'):
        assert k in s
    assert s['fit_epoch'] is None and s['fit_time_s'] is None and s['version'] == randfit_fai.__version__


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
    csv = tmp_path / 'r' / 'history.csv'
    p = start_run(tmp_path, 30)
    t0 = time.time()
    while not csv.exists() and time.time() - t0 < 120: time.sleep(0.01)
    with pytest.raises(RuntimeError, match='being written by another process'):
        run('digits', corrupt=0.5, epochs=30, stop_at_fit=False, quiet=True, out=tmp_path, name='r', resume=True)
    kill_when(p, lambda: True)
    r = run('digits', corrupt=0.5, epochs=30, stop_at_fit=False, quiet=True, out=tmp_path, name='r', resume=True)
    assert len(r.history) == 30 and not (tmp_path / 'r' / '.lock').exists()


RUN_WRITES = ['.lock', 'history.csv', 'summary.json', 'curves.png', 'checkpoint.pth', 'first_fit_epoch.npy']


@pytest.mark.parametrize('resume', [False, True], ids=['overwrite', 'resume+overwrite'])
@pytest.mark.parametrize('fname', RUN_WRITES)
def test_a_link_planted_in_a_run_folder_is_replaced_not_written_through(tmp_path, fname, resume):
    "Every file a run writes goes through a temporary file and a rename (the lock opens without following links)"
    kw = dict(corrupt=1.0, epochs=2, stop_at_fit=False, first_fit=True, quiet=True, out=tmp_path / 'runs', name='r')
    folder = tmp_path / 'runs' / 'r'
    folder.mkdir(parents=True)
    precious = tmp_path / 'precious.txt'
    precious.write_text('not yours')
    (folder / fname).symlink_to(precious)
    r = run('digits', overwrite=True, resume=resume, **kw)
    assert precious.read_text() == 'not yours', f'{fname}: written through the link'
    assert not any(f.is_symlink() for f in folder.iterdir()), [f.name for f in folder.iterdir() if f.is_symlink()]
    assert len(r.history) == 2 and load_run(folder).summary == r.summary


def test_a_run_folder_that_is_a_link_is_refused(tmp_path):
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (tmp_path / 'runs').mkdir()
    (tmp_path / 'runs' / 'r').symlink_to(elsewhere)
    for kw in (dict(overwrite=True), dict(resume=True)):
        with pytest.raises(ValueError, match='is a link'):
            run('digits', epochs=1, quiet=True, out=tmp_path / 'runs', name='r', **kw)
    assert not list(elsewhere.iterdir())


def test_a_full_disk_while_writing_the_plot_leaves_no_result_to_believe(tmp_path, monkeypatch):
    "The plot is written before the summary: a run that cannot write it has no summary, and resumes to the whole result"
    import errno, matplotlib.figure
    kw = dict(corrupt=1.0, epochs=3, stop_at_fit=False, quiet=True, out=tmp_path, name='r')
    whole = run('digits', **{**kw, 'name': 'whole'})
    def full(self, *a, **k): raise OSError(errno.ENOSPC, 'No space left on device')
    with monkeypatch.context() as m:
        m.setattr(matplotlib.figure.Figure, 'savefig', full)
        with pytest.raises(OSError, match='No space left'): run('digits', **kw)
    folder = tmp_path / 'r'
    assert not (folder / 'summary.json').exists() and not list(folder.glob('*.tmp*'))
    with pytest.raises(FileNotFoundError): load_run(folder)
    done = run('digits', resume=True, **kw)
    cols = [c for c in whole.history.columns if not c.endswith('_s')]
    assert done.history[cols].equals(whole.history[cols]) and (folder / 'curves.png').exists()
